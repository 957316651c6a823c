import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The PostgreSQL the tests may use (trust auth on this machine and in CI); each run makes its own database in it. */
export const TEST_DATABASE_URL = process.env.ONSEMBL_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let available: Promise<boolean> | undefined;

/**
 * Whether PostgreSQL answers. Without it the tests that need it skip with one loud line; under CI
 * (where it is always provided) its absence is a failure instead.
 */
export function postgresAvailable(): Promise<boolean> {
  available ??= (async () => {
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 3_000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch (err) {
      const line = `PostgreSQL is not reachable at ${TEST_DATABASE_URL} (${(err as Error).message}): tests that need it are SKIPPED. Start PostgreSQL 15 or set ONSEMBL_TEST_DATABASE_URL.`;
      if (process.env.CI) throw new Error(`${line} (CI is set, so this fails instead)`);
      console.warn(`\n*** ${line}\n`);
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return available;
}

export interface TestDatabase extends AsyncDisposable {
  /** URL of a database made for this test run alone. */
  url: string;
  name: string;
}

/** A fresh database for this test file; disposing it drops it (and ends whatever is still connected to it). */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `onsembl_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async [Symbol.asyncDispose]() {
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
