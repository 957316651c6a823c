import type { Store } from '@onsembl/server';

export interface FailingStore {
  /** The store to give the server. */
  store: Store;
  /** From now on these calls (every call when none is named) fail, as a broken disk or a lost database would. */
  fail(...calls: string[]): void;
  /** Calls work again. */
  heal(): void;
  /** How many calls failed so far (optionally of one name). */
  failures(call?: string): number;
}

/** Wraps a real store so that its calls fail on demand; everything else goes to the real store. */
export function failingStore(real: Store): FailingStore {
  let failing: Set<string> | 'all' | undefined;
  const failed = new Map<string, number>();
  const store = new Proxy(real, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      const call = String(property);
      return async (...args: unknown[]) => {
        if (call !== 'close' && (failing === 'all' || failing?.has(call))) {
          failed.set(call, (failed.get(call) ?? 0) + 1);
          throw new Error(`injected failure of ${call}: disk I/O error`);
        }
        return (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
      };
    },
  });
  return {
    store,
    fail: (...calls) => void (failing = calls.length === 0 ? 'all' : new Set(calls)),
    heal: () => void (failing = undefined),
    failures: (call) => (call === undefined ? [...failed.values()].reduce((a, b) => a + b, 0) : (failed.get(call) ?? 0)),
  };
}
