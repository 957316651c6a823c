// @ts-check
// The real Onsembl server, alone in its own process (so its RSS, CPU and profile are its own).
// Its SqliteStore is wrapped to count what gets persisted: the store scenario reads those counters.
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
/** @type {Partial<import('@onsembl/server').ServerOptions> & { experiment?: string }} */
const { experiment, ...options } = JSON.parse(process.argv[2] ?? '{}');
if (experiment) applyExperiment(experiment);
const dataDir = mkdtempSync(join(tmpdir(), 'onsembl-bench-'));
// Also when the server fails to start or the process is told to exit early.
process.on('exit', () => rmSync(dataDir, { recursive: true, force: true }));

/** @typedef {{ chunks: number, batches: number, ms: number, events: number, eventBatches: number, eventMs: number }} StoreCounts */

/**
 * Counts what the store persists: output chunks (appendOutput) and dashboard events (appendEvents:
 * the event log keeps every broadcast, output included, for resume), and the wall time each took.
 * @param {import('@onsembl/server').SqliteStore} store
 */
function countingStore(store) {
  /** @type {StoreCounts} */
  const counts = { chunks: 0, batches: 0, ms: 0, events: 0, eventBatches: 0, eventMs: 0 };
  /**
   * @template {readonly unknown[]} R
   * @param {(rows: R) => Promise<void>} original
   * @param {'chunks' | 'events'} items
   * @param {'batches' | 'eventBatches'} batches
   * @param {'ms' | 'eventMs'} ms
   * @returns {(rows: R) => Promise<void>}
   */
  const wrap = (original, items, batches, ms) => async (rows) => {
    const t0 = performance.now();
    await original(rows);
    counts[ms] += performance.now() - t0;
    counts[items] += rows.length;
    counts[batches] += 1;
  };
  store.appendOutput = wrap(store.appendOutput.bind(store), 'chunks', 'batches', 'ms');
  store.appendEvents = wrap(store.appendEvents.bind(store), 'events', 'eventBatches', 'eventMs');
  return { store, read: () => ({ ...counts }) };
}

const { store, read: storeCounts } = countingStore(new SqliteStore(join(dataDir, 'onsembl.db')));
const server = await startServer({
  port: 0,
  host: '127.0.0.1',
  dataDir,
  jwtSecret: 'bench-secret-bench-secret-bench-secret-0123',
  webRoot: null,
  logLevel: 'silent',
  store,
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
