import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { POSTGRES_MIGRATIONS } from './migrations.js';

/**
 * Brings a schema to the newest version and returns its epoch. Runs in one transaction under an
 * advisory lock named after the schema, so three nodes starting at the same moment apply each step
 * once: the first migrates, the others wait for its commit and find nothing left to do. PostgreSQL's
 * DDL is transactional, so a step that fails leaves the schema as it was.
 */
export async function migrate(pool: Pool, schema: string): Promise<string> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const lost = (err: Error) => (broken = err); // the failing statement reports it; see transaction.ts
  client.on('error', lost);
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`onsembl-migrations:${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
    await client.query(`SET LOCAL search_path TO ${quoteIdent(schema)}`);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ done: number | null }>('SELECT MAX(version) AS done FROM schema_migrations');
    const done = rows[0]?.done ?? 0;
    if (done > POSTGRES_MIGRATIONS.length) {
      throw new Error(`the database schema "${schema}" is at version ${done}, newer than this Onsembl (${POSTGRES_MIGRATIONS.length}): upgrade this node`);
    }
    for (let version = done + 1; version <= POSTGRES_MIGRATIONS.length; version++) {
      await client.query(POSTGRES_MIGRATIONS[version - 1] as string);
      await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [version]);
    }
    // The epoch is made once, with the schema, and never changes: offsets are handed out by the
    // store as it commits, so no node's crash can leave positions that will be reused.
    await client.query("INSERT INTO meta (key, value) VALUES ('epoch', $1) ON CONFLICT (key) DO NOTHING", [
      randomUUID().replaceAll('-', '').slice(0, 16),
    ]);
    const epoch = await client.query<{ value: string }>("SELECT value FROM meta WHERE key = 'epoch'");
    await client.query('COMMIT');
    return (epoch.rows[0] as { value: string }).value;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.off('error', lost);
    client.release(broken);
  }
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
