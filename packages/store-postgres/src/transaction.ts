import type pg from 'pg';

/**
 * Runs `work` in one transaction on one pooled connection. A connection that failed is destroyed,
 * not put back in the pool, so the next call gets a fresh one.
 */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  // The server may end the connection between two statements (pg_terminate_backend, a restart):
  // the client then emits 'error', which would crash the process unheard; the next statement fails.
  const lost = (err: Error) => (broken = err);
  client.on('error', lost);
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch((rollbackErr: unknown) => {
      broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr));
    });
    throw err;
  } finally {
    client.off('error', lost);
    client.release(broken);
  }
}
