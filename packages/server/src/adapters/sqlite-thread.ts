// The store thread: one SqliteStore, called by ThreadedSqliteStore on the main thread.
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteStore } from './sqlite-store.js';
import { toThreadError, type StoreCall, type StoreReady, type StoreReply, type StoreThreadData } from './sqlite-thread-messages.js';

const port = parentPort;
if (!port) throw new Error('sqlite-thread runs as a worker thread of ThreadedSqliteStore');

/** The store, or why it could not be opened (told to the main thread, which ends this thread). */
function openStore(): SqliteStore | undefined {
  try {
    return new SqliteStore((workerData as StoreThreadData).file);
  } catch (err) {
    port?.postMessage({ ready: false, error: toThreadError(err) } satisfies StoreReady);
    return undefined;
  }
}

const store = openStore();
if (store) {
  port.postMessage({ ready: true, epoch: store.epoch } satisfies StoreReady);
  // Calls run one at a time in arrival order, as they would on the main thread: SqliteStore's
  // methods are synchronous underneath, so each has finished before the next message is read.
  port.on('message', (call: StoreCall) => {
    const started = performance.now();
    const method = store[call.method] as (...args: unknown[]) => Promise<unknown>;
    method.apply(store, call.args).then(
      (value) => port.postMessage({ id: call.id, ok: true, value, ms: performance.now() - started } satisfies StoreReply),
      (err: unknown) => port.postMessage({ id: call.id, ok: false, error: toThreadError(err), ms: performance.now() - started } satisfies StoreReply),
    );
  });
}
