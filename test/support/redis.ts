import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

/** The Redis the tests may use; each test run takes its own key and channel prefix in it. */
export const TEST_REDIS_URL = process.env.ONSEMBL_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

let available: Promise<boolean> | undefined;

/** Whether Redis answers; without it the tests that need it skip with one loud line (and fail under CI). */
export function redisAvailable(): Promise<boolean> {
  available ??= (async () => {
    const client = new Redis(TEST_REDIS_URL, { lazyConnect: true, connectTimeout: 3_000, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.ping();
      return true;
    } catch (err) {
      const line = `Redis is not reachable at ${TEST_REDIS_URL} (${(err as Error).message}): tests that need it are SKIPPED. Start Redis 7 or set ONSEMBL_TEST_REDIS_URL.`;
      if (process.env.CI) throw new Error(`${line} (CI is set, so this fails instead)`);
      console.warn(`\n*** ${line}\n`);
      return false;
    } finally {
      client.disconnect();
    }
  })();
  return available;
}

/** A channel prefix no other test run uses. */
export function uniquePrefix(): string {
  return `onsembl-test-${process.pid}-${randomBytes(4).toString('hex')}:`;
}

/** Kills this test's own pub/sub connections (by their client name), as `CLIENT KILL TYPE pubsub` would, without touching anyone else's. */
export async function killPubsubClients(name: string): Promise<number> {
  const admin = new Redis(TEST_REDIS_URL);
  try {
    const list = (await admin.call('CLIENT', 'LIST', 'TYPE', 'pubsub')) as string;
    const ids = list.split('\n').filter((line) => line.includes(` name=${name} `)).map((line) => /id=(\d+)/.exec(line)?.[1]).filter((id): id is string => id !== undefined);
    for (const id of ids) await admin.call('CLIENT', 'KILL', 'ID', id);
    return ids.length;
  } finally {
    admin.disconnect();
  }
}
