import type { Logger } from 'pino';
import type { Bus } from '../ports/bus.js';
import type { Store } from '../ports/store.js';
import { Dependency, type Health } from './health.js';
import { proxyMethods } from './method-proxy.js';

/** A store or bus call that failed; `cause` is the driver's own error. */
export class DependencyError extends Error {
  constructor(readonly dependency: Dependency, readonly call: string, cause: unknown) {
    super(`${dependency} ${call} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'DependencyError';
  }
}

/**
 * The store as the server uses it: every call reports to Health, and a failure reaches the caller
 * as a DependencyError, so each caller applies the failure policy of its kind of call (retry a
 * write others wait on, refuse a request, answer 503) and nothing else has to guess what failed.
 */
export function watchStore<T extends object = Store>(store: T, health: Health): T {
  return proxyMethods(store, (call, method) => (...args: unknown[]) => observe(health, Dependency.store, call, () => method(...args)));
}

function observe(health: Health, dependency: Dependency, call: string, run: () => unknown): unknown {
  const fail = (err: unknown): never => {
    health.failed(dependency, call, err);
    throw err instanceof DependencyError ? err : new DependencyError(dependency, call, err);
  };
  let result: unknown;
  try {
    result = run();
  } catch (err) {
    return fail(err);
  }
  if (!(result instanceof Promise)) {
    health.succeeded(dependency, call);
    return result;
  }
  return result.then((value: unknown) => {
    health.succeeded(dependency, call);
    return value;
  }, fail);
}

/**
 * The bus as the server uses it: publish and subscribe report to Health; a subscriber that throws,
 * or returns a promise that rejects, is logged and never stops delivery to the others (nor becomes
 * an unhandled rejection).
 */
export function watchBus(bus: Bus, health: Health, logger: Logger): Bus {
  bus.watch?.((down) => {
    if (down) health.failed(Dependency.bus, 'connection', down);
    else health.succeeded(Dependency.bus, 'connection');
  });
  return {
    publish: (topic, message) => observe(health, Dependency.bus, 'publish', () => bus.publish(topic, message)) as Promise<void>,
    subscribe: (topic, handler) =>
      observe(health, Dependency.bus, 'subscribe', () =>
        bus.subscribe(topic, (message) => {
          try {
            const returned = handler(message) as unknown;
            if (returned instanceof Promise) returned.catch((err: unknown) => logger.error({ err, topic }, 'bus subscriber failed'));
          } catch (err) {
            logger.error({ err, topic }, 'bus subscriber failed');
          }
        }),
      ) as Promise<() => Promise<void>>,
    close: () => bus.close(),
  };
}
