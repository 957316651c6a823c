import type pg from 'pg';

/**
 * COMMIT was sent and no answer came (the connection died, its reply was lost): the transaction
 * may have committed or not. Only a caller that left a mark in it can tell (pg-coordination.ts).
 */
export class CommitOutcomeUnknown extends Error {
  constructor(cause: unknown) {
    super(`the outcome of COMMIT is unknown: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'CommitOutcomeUnknown';
  }
}

/**
 * Runs `work` in one transaction on one pooled connection. A connection that failed is destroyed,
 * not put back in the pool, so the next call gets a fresh one. A failure of COMMIT itself is a
 * CommitOutcomeUnknown: everything before it rolled back for sure, COMMIT may have gone through.
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
    try {
      await client.query('COMMIT');
    } catch (err) {
      broken = err instanceof Error ? err : new Error(String(err));
      throw new CommitOutcomeUnknown(err);
    }
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
