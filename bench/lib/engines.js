// @ts-check
// PostgreSQL and Redis for the scale-out scenarios: the same services and URLs as the tests
// (ONSEMBL_TEST_DATABASE_URL / ONSEMBL_TEST_REDIS_URL, the local defaults), a database made for
// each measurement and dropped after it, and a Redis channel prefix of its own.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';

export const DATABASE_URL = process.env.ONSEMBL_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.ONSEMBL_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** @type {Promise<string | undefined> | undefined} */
let missing;

/**
 * Why the engines cannot be used (undefined: both answer). Asked once per run. Under CI, where both
 * are always provided, an absent engine throws instead, so the smoke test cannot skip silently.
 * @returns {Promise<string | undefined>}
 */
export function enginesMissing() {
  missing ??= (async () => {
    const reasons = (await Promise.all([pgReason(), redisReason()])).filter((r) => r !== undefined);
    if (reasons.length === 0) return undefined;
    const line = `${reasons.join('; ')}: the scale-out scenarios are SKIPPED. Start PostgreSQL 15 and Redis 7, or set ONSEMBL_TEST_DATABASE_URL and ONSEMBL_TEST_REDIS_URL.`;
    if (process.env.CI) throw new Error(`${line} (CI is set, so this fails instead)`);
    return line;
  })();
  return missing;
}

async function pgReason() {
  const client = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (err) {
    return `PostgreSQL is not reachable at ${redact(DATABASE_URL)} (${err instanceof Error ? err.message : String(err)})`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function redisReason() {
  const client = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 3_000, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
    return undefined;
  } catch (err) {
    return `Redis is not reachable at ${redact(REDIS_URL)} (${err instanceof Error ? err.message : String(err)})`;
  } finally {
    client.disconnect();
  }
}

/**
 * A URL without its password, for messages.
 * @param {string} url
 */
function redact(url) {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(not a URL)';
  }
}

/**
 * A database of this measurement's own (`onsembl_bench_<pid>_<hex>`); `drop()` removes it, ending
 * whatever is still connected. Its URL is the admin URL with the database name replaced.
 */
export async function createBenchDatabase() {
  const name = `onsembl_bench_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      const client = new pg.Client({ connectionString: DATABASE_URL });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

let told = false;

/**
 * Whether a scale-out scenario must skip: the engines are missing (said once per run, loudly).
 * @param {(...args: unknown[]) => void} log
 */
export async function skipWithoutEngines(log) {
  const line = await enginesMissing();
  if (line !== undefined && !told) {
    told = true;
    log(`*** ${line}`);
  }
  return line !== undefined;
}

/** A Redis channel prefix no other run (bench or test) uses. */
export const benchPrefix = () => `onsembl-bench-${process.pid}-${randomBytes(4).toString('hex')}:`;
