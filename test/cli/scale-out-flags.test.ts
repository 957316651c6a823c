import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CLI } from '../support/agent-process.js';
import { clusterEnginesAvailable, startTestCluster, TEST_DATABASE_URL, TEST_REDIS_URL } from '../support/cluster.js';
import { freePort } from '../support/server-process.js';
import { tempDir } from '../support/temp-dir.js';
import { TEST_SECRET } from '../support/test-server.js';

const run = promisify(execFile);
const withEngines = await clusterEnginesAvailable();
type Failure = { code: number; stderr: string };

/** Runs `onsembl server` expecting it to refuse to start; resolves with its exit code and stderr. */
async function refused(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Failure> {
  await using dir = await tempDir();
  const port = await freePort();
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !['DATABASE_URL', 'REDIS_URL'].includes(k)));
  const result = await run(process.execPath, [CLI, 'server', '--port', String(port), '--data-dir', dir.path, ...args], {
    env: { ...base, ONSEMBL_JWT_SECRET: TEST_SECRET, ...env }, timeout: 30_000,
  }).then(() => undefined, (e: Failure) => e);
  if (!result) throw new Error('the server started');
  return result;
}

/** One line on stderr, no stack trace. */
const oneLine = (stderr: string) => stderr.trim().split('\n');

describe('onsembl server: the scale-out flags', () => {
  it('wants both --database-url and --redis-url, or neither (the flags or DATABASE_URL and REDIS_URL)', async () => {
    const onlyDb = await refused(['--database-url', TEST_DATABASE_URL]);
    expect(onlyDb.code).toBe(2);
    expect(oneLine(onlyDb.stderr)).toEqual([expect.stringContaining('--database-url and --redis-url (or DATABASE_URL and REDIS_URL) go together')]);
    const onlyRedisEnv = await refused([], { REDIS_URL: TEST_REDIS_URL });
    expect(onlyRedisEnv.code).toBe(2);
    expect(onlyRedisEnv.stderr).toContain('go together');
  });

  it('wants one token secret for every node', async () => {
    const noSecret = await refused(['--database-url', TEST_DATABASE_URL, '--redis-url', TEST_REDIS_URL], { ONSEMBL_JWT_SECRET: '' });
    expect(noSecret.code).toBe(2);
    expect(oneLine(noSecret.stderr)).toEqual([expect.stringContaining('set ONSEMBL_JWT_SECRET')]);
  });

  it('says in one line, with exit code 1, that a URL is not what it should be or an engine does not answer', async () => {
    const badDb = await refused(['--database-url', 'mysql://x@y/z', '--redis-url', TEST_REDIS_URL]);
    expect(badDb.code).toBe(1);
    expect(oneLine(badDb.stderr)).toEqual(['onsembl: not a PostgreSQL URL (postgres:// or postgresql://): mysql://x@y/z']);
    const deadDb = await refused(['--database-url', 'postgres://postgres:secret@127.0.0.1:1/test', '--redis-url', TEST_REDIS_URL]);
    expect(deadDb.code).toBe(1);
    expect(oneLine(deadDb.stderr)).toEqual([expect.stringMatching(/^onsembl: PostgreSQL at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/test could not be used: .*ECONNREFUSED/)]);
    expect(deadDb.stderr).not.toContain('secret');
  });

  it.skipIf(!withEngines)('says so in one line when Redis does not answer, and closes the database it opened', async () => {
    await using cluster = await startTestCluster();
    const deadRedis = await refused(['--database-url', cluster.databaseUrl, '--redis-url', 'redis://127.0.0.1:1']);
    expect(deadRedis.code).toBe(1);
    expect(oneLine(deadRedis.stderr)).toEqual([expect.stringMatching(/^onsembl: Redis at redis:\/\/127\.0\.0\.1:1 is unreachable: .*ECONNREFUSED/)]);
  });
});
