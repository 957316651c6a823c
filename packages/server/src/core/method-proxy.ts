/** A method of the proxied object, as a wrapper receives it. */
export type Method = (...args: unknown[]) => unknown;

/**
 * A view of `target` whose methods are replaced by what `wrap` makes of each (given its name and
 * the method bound to `target`); other properties pass through. Each wrapper is made once and kept,
 * so a hot path calling the same method pays for the proxy, not for a new closure per call.
 */
export function proxyMethods<T extends object>(target: T, wrap: (call: string, method: Method, property: PropertyKey) => Method): T {
  const wrapped = new Map<PropertyKey, Method>();
  return new Proxy(target, {
    get(object, property, receiver) {
      const value: unknown = Reflect.get(object, property, receiver);
      if (typeof value !== 'function') return value;
      let fn = wrapped.get(property);
      if (!fn) {
        const method = value as Method;
        fn = wrap(String(property), (...args: unknown[]) => method.apply(object, args), property);
        wrapped.set(property, fn);
      }
      return fn;
    },
  });
}
