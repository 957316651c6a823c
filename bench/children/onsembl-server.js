// @ts-check
// The real Onsembl server, alone in its own process (so its RSS, CPU and profile are its own).
// Its store is wrapped to count what gets persisted: the store scenarios read those counters.
// With `scaleOut` it is one node among several, on PostgreSQL and Redis as `onsembl server
// --database-url --redis-url` wires them (the scale-out scenarios, lib/topology.js); otherwise
// the embedded server on SQLite.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { applyExperiment } from '../lib/experiments.js';
import { serve } from '../lib/rpc.js';

// ONSEMBL_BENCH_SERVER=path/to/other/dist/index.js runs another build of the server (an A/B of a
// change: copy packages/server with its package.json elsewhere inside the repo and build it there).
/** @type {typeof import('@onsembl/server')} */
const { SqliteStore, startServer } = await import(process.env.ONSEMBL_BENCH_SERVER ?? '@onsembl/server');
/**
 * Where a node of several finds the shared engines, and its cluster timings.
 * @typedef {{ databaseUrl: string, redisUrl: string, redisPrefix: string, cluster: import('@onsembl/server').ServerOptions['cluster'] }} ScaleOut
 */
/** @type {Partial<import('@onsembl/server').ServerOptions> & { experiment?: string, scaleOut?: ScaleOut }} */
const { experiment, scaleOut, ...options } = JSON.parse(process.argv[2] ?? '{}');
if (experiment) applyExperiment(experiment);
const dataDir = mkdtempSync(join(tmpdir(), 'onsembl-bench-'));
// Also when the server fails to start or the process is told to exit early.
process.on('exit', () => rmSync(dataDir, { recursive: true, force: true }));

/** @typedef {{ chunks: number, batches: number, ms: number, events: number, eventBatches: number, eventMs: number }} StoreCounts */

/**
 * Counts what the store persists: output chunks (appendOutput) and dashboard events (appendEvents,
 * or insertEvents where the store numbers them: the event log keeps every broadcast, output
 * included, for resume), and the wall time each took.
 * @template {import('@onsembl/server').Store} S
 * @param {S} store
 */
function countingStore(store) {
  /** @type {StoreCounts} */
  const counts = { chunks: 0, batches: 0, ms: 0, events: 0, eventBatches: 0, eventMs: 0 };
  /**
   * @template {readonly unknown[]} R
   * @template T
   * @param {(rows: R) => Promise<T>} original
   * @param {'chunks' | 'events'} items
   * @param {'batches' | 'eventBatches'} batches
   * @param {'ms' | 'eventMs'} ms
   * @returns {(rows: R) => Promise<T>}
   */
  const wrap = (original, items, batches, ms) => async (rows) => {
    const t0 = performance.now();
    const result = await original(rows);
    counts[ms] += performance.now() - t0;
    counts[items] += rows.length;
    counts[batches] += 1;
    return result;
  };
  store.appendOutput = wrap(store.appendOutput.bind(store), 'chunks', 'batches', 'ms');
  store.appendEvents = wrap(store.appendEvents.bind(store), 'events', 'eventBatches', 'eventMs');
  store.insertEvents = wrap(store.insertEvents.bind(store), 'events', 'eventBatches', 'eventMs');
  return {
    store,
    read: () => ({ ...counts }),
    /**
     * Counts another writer of dashboard events (the cluster's commitEvents) the same way.
     * @template {readonly unknown[]} R
     * @template T
     * @param {(rows: R) => Promise<T>} original
     */
    countEvents: (original) => wrap(original, 'events', 'eventBatches', 'eventMs'),
  };
}

/**
 * PostgreSQL, Redis and the coordination a node of several needs (as the CLI opens them).
 * @param {ScaleOut} settings
 */
async function scaleOutBackends({ databaseUrl, redisUrl, redisPrefix, cluster }) {
  const [{ PostgresStore }, { RedisBus }] = await Promise.all([import('@onsembl/store-postgres'), import('@onsembl/bus-redis')]);
  const pgStore = await PostgresStore.open({ url: databaseUrl });
  const bus = await RedisBus.open({ url: redisUrl, prefix: redisPrefix });
  const { store, read, countEvents } = countingStore(pgStore);
  // Several nodes commit dashboard events through the coordination (numbered at commit).
  const coordination = pgStore.coordination;
  coordination.commitEvents = countEvents(coordination.commitEvents.bind(coordination));
  return { read, options: { store, bus, coordination, cluster } };
}

/** The embedded default: SQLite in the data dir, the in-process bus. */
function embeddedBackends() {
  const { store, read } = countingStore(new SqliteStore(join(dataDir, 'onsembl.db')));
  return { read, options: { store } };
}

const backends = scaleOut ? await scaleOutBackends(scaleOut) : embeddedBackends();
const storeCounts = backends.read;
const server = await startServer({
  port: 0,
  host: '127.0.0.1',
  dataDir,
  // One secret for every node: a token one node issued is accepted by the others.
  jwtSecret: 'bench-secret-bench-secret-bench-secret-0123',
  webRoot: null,
  logLevel: 'silent',
  ...backends.options,
  ...options,
});

let closed = false;
async function close() {
  if (closed) return;
  closed = true;
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
}

const methods = {
  info: () => ({ port: server.port, wsUrl: server.wsUrl }),
  /**
   * Many tokens in one call: 10,000 dashboards must not mean 10,000 IPC round trips.
   * @param {{ role: 'agent' | 'dashboard', names: string[] }} params
   */
  tokens: async ({ role, names }) => Promise.all(names.map((name) => server.issueToken(role, name, 3600))),
  store: storeCounts,
  close,
};
/** @typedef {typeof methods} Methods */
serve(methods, { onExit: close });
