// @ts-check
// Parent side of a benchmark child process: spawn with a raised fd limit, call methods over IPC,
// and make sure no child outlives the run.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Each child's method table, by file name in bench/children/: `call` is typed from it.
 * @typedef {{
 *   agents: import('../children/agents.js').Methods,
 *   dashboards: import('../children/dashboards.js').Methods,
 *   driver: import('../children/driver.js').Methods,
 *   'onsembl-server': import('../children/onsembl-server.js').Methods,
 *   producer: import('../children/producer.js').Methods,
 *   'sio-relay': import('../children/sio-relay.js').Methods,
 *   'store-capacity': import('../children/store-capacity.js').Methods,
 *   'ws-relay': import('../children/ws-relay.js').Methods,
 * }} ChildMethods
 */

/** @typedef {{ code: number | null, signal: NodeJS.Signals | null }} ExitInfo */

/**
 * @template F
 * @typedef {F extends (params: infer P) => unknown ? P : never} ParamsOf
 */
/**
 * What a call resolves with (it came through JSON, so Buffers and undefined do not survive).
 * @template F
 * @typedef {F extends (...args: never[]) => infer R ? Awaited<R> : never} ResultOf
 */

/**
 * A running child. `call(method, params, timeoutMs)` runs one of its methods over IPC.
 * @template {import('./rpc.js').MethodTable} M
 * @typedef {object} Child
 * @property {string} label
 * @property {number | undefined} pid
 * @property {Promise<void>} ready
 * @property {Promise<ExitInfo>} exited
 * @property {(event: string, fn: (data: unknown) => void) => void} on
 * @property {<K extends keyof (M & import('./rpc.js').BuiltInMethods) & string>(method: K, params?: ParamsOf<(M & import('./rpc.js').BuiltInMethods)[K]>, timeoutMs?: number) => Promise<ResultOf<(M & import('./rpc.js').BuiltInMethods)[K]>>} call
 * @property {(graceMs?: number) => Promise<ExitInfo>} stop
 */

/**
 * @typedef {object} IpcReply  a call's answer, or an event the child emitted
 * @property {number} [id]
 * @property {unknown} [result]
 * @property {string} [error]
 * @property {string} [event]
 * @property {unknown} [data]
 */

/** @type {Set<import('node:child_process').ChildProcess>} */
const live = new Set();
let exitHooked = false;

/** Kills every child still running (the run ended, failed or was interrupted). */
export function killAll() {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
}

function hookExit() {
  if (exitHooked) return;
  exitHooked = true;
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      killAll();
      process.exit(130);
    });
  }
}

/**
 * Starts `bench/children/<name>.js` through `sh -c 'ulimit -n <hard>; exec node ...'`, so a child
 * holding thousands of sockets is not stopped by a low soft fd limit (CI machines often have 1024).
 * Returns { call(method, params, timeoutMs), on(event, fn), stop(), pid }.
 * @template {keyof ChildMethods} N
 * @param {N} name
 * @param {{ args?: string[], nodeArgs?: string[], env?: Record<string, string>, label?: string }} [options]
 * @returns {Child<ChildMethods[N]>}
 */
export function startChild(name, { args = [], nodeArgs = [], env = {}, label = name } = {}) {
  hookExit();
  const entry = fileURLToPath(new URL(`../children/${name}.js`, import.meta.url));
  const script = 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"';
  // --expose-gc: the connections scenario settles every server's heap before reading its RSS.
  const child = spawn('/bin/sh', ['-c', script, 'sh', process.execPath, '--expose-gc', ...nodeArgs, entry, ...args], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, ...env },
  });
  live.add(child);
  /** @type {Map<number, { resolve: (result: unknown) => void, reject: (err: Error) => void, timer: NodeJS.Timeout, method: string }>} */
  const pending = new Map();
  /** @type {Map<string, Array<(data: unknown) => void>>} */
  const listeners = new Map();
  let nextId = 1;
  /** @type {ExitInfo | undefined} */
  let exitInfo;
  /** @type {Promise<ExitInfo>} */
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      live.delete(child);
      exitInfo = { code, signal };
      for (const { reject, timer } of pending.values()) {
        clearTimeout(timer);
        reject(new Error(`${label} exited (${signal ?? code}) during a call`));
      }
      pending.clear();
      resolve(exitInfo);
    });
  });
  child.on('message', (raw) => {
    const message = /** @type {IpcReply} */ (raw);
    if (message.event !== undefined) {
      for (const fn of listeners.get(message.event) ?? []) fn(message.data);
      return;
    }
    const call = message.id === undefined ? undefined : pending.get(message.id);
    if (!call) return;
    pending.delete(/** @type {number} */ (message.id));
    clearTimeout(call.timer);
    if (message.error !== undefined) call.reject(new Error(`${label}.${call.method}: ${message.error}`));
    else call.resolve(message.result);
  });
  /** @type {Promise<void>} */
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${label} did not start`)), 30_000);
    listenersOf(listeners, 'ready').push(() => {
      clearTimeout(timer);
      resolve();
    });
    void exited.then((info) => reject(new Error(`${label} exited before it was ready (${info.signal ?? info.code})`)));
  });
  ready.catch(() => undefined);

  return {
    label,
    get pid() {
      return child.pid;
    },
    ready,
    exited,
    on(event, fn) {
      listenersOf(listeners, event).push(fn);
    },
    /**
     * @param {string} method
     * @param {unknown} [params]
     * @returns {Promise<never>}  (the typedef's `call` gives each method its result type)
     */
    call(method, params = {}, timeoutMs = 60_000) {
      if (exitInfo) return Promise.reject(new Error(`${label} has exited`));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${label}.${method} timed out after ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, { resolve: /** @type {(result: unknown) => void} */ (resolve), reject, timer, method });
        child.send({ id, method, params });
      });
    },
    /** Asks the child to finish (so a CPU profile is written), then kills it if it does not. */
    async stop(graceMs = 10_000) {
      if (exitInfo) return exitInfo;
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        child.send({ id: 0, method: '__exit', params: {} });
      } catch {
        child.kill('SIGKILL');
      }
      const info = await exited;
      clearTimeout(timer);
      return info;
    },
  };
}

/**
 * The listeners of `event`, created empty on first use.
 * @param {Map<string, Array<(data: unknown) => void>>} listeners
 * @param {string} event
 */
function listenersOf(listeners, event) {
  let list = listeners.get(event);
  if (!list) listeners.set(event, (list = []));
  return list;
}
