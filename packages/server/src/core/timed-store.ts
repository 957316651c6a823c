import type { Store } from '../ports/store.js';
import type { ServerCounters } from './counters.js';

/** The store calls that write one batch each: their latency is what holds acknowledgements back. */
const BATCH_WRITES = new Set<PropertyKey>(['appendOutput', 'appendTrace', 'appendEvents', 'insertEvents', 'appendAudit']);

/**
 * The store with its batch writes timed (store batch latency in GET /metrics). Every other call
 * goes through untouched; a failed write is timed too (a slow failure is still a slow write).
 */
export function timeStoreWrites(store: Store, counters: ServerCounters): Store {
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      let fn = wrapped.get(property);
      if (!fn) {
        const method = value as (...a: unknown[]) => unknown;
        const call = String(property);
        fn = BATCH_WRITES.has(property)
          ? (...args: unknown[]) => {
            const started = process.hrtime.bigint();
            const done = () => counters.storeWrite(call, Number(process.hrtime.bigint() - started) / 1e9);
            const result = method.apply(target, args) as Promise<unknown>;
            return result.finally(done);
          }
          : (...args: unknown[]) => method.apply(target, args);
        wrapped.set(property, fn);
      }
      return fn;
    },
  });
}
