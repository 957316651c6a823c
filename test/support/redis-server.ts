import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort } from './server-process.js';
import { waitUntil } from './wait-until.js';

/**
 * Whether a `redis-server` binary is on this machine, for tests that must restart Redis (never the
 * shared one: each such test runs its own). Without it they skip with one loud line; under CI they fail.
 */
export function redisServerAvailable(): boolean {
  const found = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
  if (found) return true;
  const line = 'redis-server is not on PATH: tests that restart Redis are SKIPPED. Install Redis 7 (apt-get install redis-server).';
  if (process.env.CI) throw new Error(`${line} (CI is set, so this fails instead)`);
  console.warn(`\n*** ${line}\n`);
  return false;
}

export interface OwnRedis extends AsyncDisposable {
  port: number;
  url: string;
  /** Kills the process at once (SIGKILL), as a crash would; resolves once it is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port (empty: nothing is saved) and waits until it answers. */
  start(): Promise<void>;
  /** Kills this Redis's pub/sub connections named `name` (CLIENT KILL TYPE pubsub, scoped to one node). */
  killPubsubClients(name: string): Promise<number>;
}

/** A `redis-server` of this test's own on a free port, no persistence. */
export async function startOwnRedis(): Promise<OwnRedis> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const admin = () => {
    const client = new Redis(url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    client.on('error', () => undefined);
    return client;
  };
  const answers = async () => {
    const client = admin();
    try {
      await client.connect();
      return (await client.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      client.disconnect();
    }
  };
  const kill = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill('SIGKILL');
    await gone;
  };
  const start = async () => {
    if (child) throw new Error('this Redis is running already');
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await waitUntil(`redis-server on ${port} answers`, answers);
  };
  await start();
  return {
    port,
    url,
    kill,
    start,
    async killPubsubClients(name) {
      const client = admin();
      try {
        await client.connect();
        const list = (await client.call('CLIENT', 'LIST', 'TYPE', 'pubsub')) as string;
        const ids = list.split('\n').filter((l) => l.includes(` name=${name} `)).map((l) => /id=(\d+)/.exec(l)?.[1]).filter((id): id is string => id !== undefined);
        for (const id of ids) await client.call('CLIENT', 'KILL', 'ID', id);
        return ids.length;
      } finally {
        client.disconnect();
      }
    },
    [Symbol.asyncDispose]: kill,
  };
}
