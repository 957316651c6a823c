import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidArgumentError } from 'commander';
import type { Bus, Coordination, Store } from '@onsembl/server';
import { RedisBus } from '@onsembl/bus-redis';
import { PostgresStore } from '@onsembl/store-postgres';

/** The settings that make `onsembl server` one node among several (docs/scale-out.md). */
export interface ScaleOutSettings {
  databaseUrl?: string | undefined;
  redisUrl?: string | undefined;
  redisPrefix?: string | undefined;
  nodeId?: string | undefined;
  nodeHeartbeatMs?: number | undefined;
  nodeLeaseMs?: number | undefined;
}

export interface ScaleOutBackends {
  store: Store;
  bus: Bus;
  coordination: Coordination;
  cluster: { nodeId?: string; heartbeatMs?: number; leaseMs?: number };
}

/**
 * Opens PostgreSQL and Redis when both URLs are given (settings, else DATABASE_URL and REDIS_URL);
 * undefined when neither is: the embedded server (SQLite, in-process bus). Misuse is an
 * InvalidArgumentError (exit code 2), an engine that does not answer an Error with one line (1).
 */
export async function openScaleOutBackends(flags: ScaleOutSettings, env: NodeJS.ProcessEnv = process.env): Promise<ScaleOutBackends | undefined> {
  const databaseUrl = flags.databaseUrl ?? env.DATABASE_URL;
  const redisUrl = flags.redisUrl ?? env.REDIS_URL;
  if (databaseUrl === undefined && redisUrl === undefined) return undefined;
  if (databaseUrl === undefined || redisUrl === undefined) {
    throw new InvalidArgumentError('--database-url and --redis-url (or DATABASE_URL and REDIS_URL) go together: several nodes need both; give neither for one server on its own');
  }
  if (!env.ONSEMBL_JWT_SECRET) {
    throw new InvalidArgumentError('several nodes must accept the same tokens: set ONSEMBL_JWT_SECRET (32 bytes or more) to the same value on every node');
  }
  const jitter = Number(env.ONSEMBL_TEST_COMMIT_JITTER_MS ?? 0);
  // Named after the node, so an operator (or a test) finds this node's connections in
  // pg_stat_activity and CLIENT LIST.
  const prefix = flags.redisPrefix ?? 'onsembl:';
  const store = await PostgresStore.open({
    url: databaseUrl,
    ...(flags.nodeId !== undefined ? { applicationName: `onsembl:${flags.nodeId}` } : {}),
    // Tests only: a random pause inside every event transaction, to show offsets follow commit order.
    ...(jitter > 0 ? { beforeEventCommit: () => sleep(Math.floor(Math.random() * jitter)) } : {}),
  });
  let bus: RedisBus;
  try {
    bus = await RedisBus.open({ url: redisUrl, prefix, ...(flags.nodeId !== undefined ? { connectionName: `${prefix}${flags.nodeId}`.replace(/[^\x21-\x7e]/g, '_') } : {}) });
  } catch (err) {
    await store.close();
    throw err;
  }
  return {
    store,
    bus,
    coordination: store.coordination,
    cluster: {
      ...(flags.nodeId !== undefined ? { nodeId: flags.nodeId } : {}),
      ...(flags.nodeHeartbeatMs !== undefined ? { heartbeatMs: flags.nodeHeartbeatMs } : {}),
      ...(flags.nodeLeaseMs !== undefined ? { leaseMs: flags.nodeLeaseMs } : {}),
    },
  };
}
