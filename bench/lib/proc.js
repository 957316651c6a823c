// Parent side of a benchmark child process: spawn with a raised fd limit, call methods over IPC,
// and make sure no child outlives the run.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

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
  const pending = new Map();
  const listeners = new Map();
  let nextId = 1;
  let exitInfo;
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
  child.on('message', (message) => {
    if (message.event !== undefined) {
      for (const fn of listeners.get(message.event) ?? []) fn(message.data);
      return;
    }
    const call = pending.get(message.id);
    if (!call) return;
    pending.delete(message.id);
    clearTimeout(call.timer);
    if (message.error !== undefined) call.reject(new Error(`${label}.${call.method}: ${message.error}`));
    else call.resolve(message.result);
  });
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${label} did not start`)), 30_000);
    (listeners.get('ready') ?? listeners.set('ready', []).get('ready')).push(() => {
      clearTimeout(timer);
      resolve();
    });
    exited.then((info) => reject(new Error(`${label} exited before it was ready (${info.signal ?? info.code})`)));
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
      (listeners.get(event) ?? listeners.set(event, []).get(event)).push(fn);
    },
    call(method, params = {}, timeoutMs = 60_000) {
      if (exitInfo) return Promise.reject(new Error(`${label} has exited`));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${label}.${method} timed out after ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, { resolve, reject, timer, method });
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
