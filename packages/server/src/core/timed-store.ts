import type { Store } from '../ports/store.js';
import type { ServerCounters } from './counters.js';
import { proxyMethods } from './method-proxy.js';

/** The store calls that write one batch each: their latency is what holds acknowledgements back. */
const BATCH_WRITES = new Set<PropertyKey>(['appendOutput', 'appendTrace', 'appendEvents', 'insertEvents', 'appendAudit']);

/**
 * The store with its batch writes timed (store batch latency in GET /metrics). Every other call
 * goes through untouched; a failed write is timed too (a slow failure is still a slow write).
 */
export function timeStoreWrites(store: Store, counters: ServerCounters): Store {
  return proxyMethods(store, (call, method, property) => {
    if (!BATCH_WRITES.has(property)) return method;
    return (...args: unknown[]) => {
      const started = process.hrtime.bigint();
      const done = () => counters.storeWrite(call, Number(process.hrtime.bigint() - started) / 1e9);
      return (method(...args) as Promise<unknown>).finally(done);
    };
  });
}
