import { spawnServer, type ServerProcess } from './server-process.js';
import { createTestDatabase, postgresAvailable, TEST_DATABASE_URL, type TestDatabase } from './postgres.js';
import { redisAvailable, TEST_REDIS_URL, uniquePrefix } from './redis.js';
import { tempDir, type TempDir } from './temp-dir.js';

/** Whether both engines a cluster needs answer (each says loudly when not; CI fails instead). */
export async function clusterEnginesAvailable(): Promise<boolean> {
  const [pg, redis] = await Promise.all([postgresAvailable(), redisAvailable()]);
  return pg && redis;
}

export interface NodeOptions {
  /** Where this node reaches PostgreSQL and Redis (a test's own proxy, say). Default: the cluster's. */
  databaseUrl?: string;
  redisUrl?: string;
  port?: number;
  env?: NodeJS.ProcessEnv;
  args?: string[];
}

export interface TestClusterOptions {
  /** Every node's --node-heartbeat and --node-lease, ms (default 500 and 4000). */
  heartbeatMs?: number;
  leaseMs?: number;
}

export interface TestCluster extends AsyncDisposable {
  database: TestDatabase;
  /** The database URL the nodes use, and the Redis channel prefix of this run. */
  databaseUrl: string;
  redisPrefix: string;
  /** Starts `onsembl server` as node `name` of this cluster (short heartbeats and leases). */
  start(name: string, options?: NodeOptions): Promise<ServerProcess>;
}

/**
 * Real `onsembl server` processes on one PostgreSQL database made for this test and one Redis
 * prefix of its own; disposing stops every node (SIGTERM) and drops the database.
 */
export async function startTestCluster(clusterOptions: TestClusterOptions = {}): Promise<TestCluster> {
  const { heartbeatMs = 500, leaseMs = 4_000 } = clusterOptions;
  const database = await createTestDatabase();
  const redisPrefix = uniquePrefix();
  const nodes: ServerProcess[] = [];
  const dirs: TempDir[] = [];
  return {
    database,
    databaseUrl: database.url,
    redisPrefix,
    async start(name, options = {}) {
      const dir = await tempDir(`onsembl-${name}-`);
      dirs.push(dir);
      const args = [
        '--database-url', options.databaseUrl ?? database.url,
        '--redis-url', options.redisUrl ?? TEST_REDIS_URL,
        '--redis-prefix', redisPrefix,
        '--node-id', name,
        '--node-heartbeat', String(heartbeatMs), '--node-lease', String(leaseMs),
        '--log-level', 'warn',
        ...(options.args ?? []),
      ];
      const node = await spawnServer(dir.path, args, options.env ?? {}, options.port);
      nodes.push(node);
      return node;
    },
    async [Symbol.asyncDispose]() {
      await Promise.all(nodes.map((n) => n[Symbol.asyncDispose]()));
      for (const dir of dirs) await dir[Symbol.asyncDispose]();
      await database[Symbol.asyncDispose]();
    },
  };
}

export { TEST_DATABASE_URL, TEST_REDIS_URL };
