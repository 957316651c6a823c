// @ts-check
// Many agents in one process: real Onsembl agents (startAgent from @onsembl/agent, the same code
// as `onsembl agent`), or, for the baselines, mini agents that connect to a relay as peers and run
// each command the same way (node-pty, `/bin/sh -c command`). 100 agent processes would not fit
// beside the server on 2 cores; 100 agents in 2 processes do.
import { startAgent } from '@onsembl/agent';
import pty from 'node-pty';
import pino from 'pino';
import WebSocket from 'ws';
import { io } from 'socket.io-client';
import { now } from '../lib/clock.js';
import { serve } from '../lib/rpc.js';

const SHELL = '/bin/sh';
const logger = pino({ level: 'silent' });
/** @type {import('@onsembl/agent').Agent[]} */
const agents = [];
/** @type {Array<() => void>} */
const minis = [];
/** @type {import('@onsembl/agent').Agent | undefined} */
let single;

/** A relay message: `run` from the driver to a mini agent, `exit` back. @typedef {{ to: string, from: string, type: string, command: string, cid: string }} MiniMessage */

/**
 * Starts one Onsembl agent per token; resolves when all are registered.
 * @param {{ url: string, tokens: string[], names: string[] }} params
 */
async function start({ url, tokens, names }) {
  await Promise.all(tokens.map((token, i) => new Promise((resolve, reject) => {
    const agent = startAgent({ url, token, name: /** @type {string} */ (names[i]), shell: SHELL, logger });
    agents.push(agent);
    agent.on('connected', resolve);
    agent.on('fatal', reject);
  })));
  return agents.length;
}

/**
 * Runs `command` in a PTY like the Onsembl agent's ShellRunner, calls back on exit.
 * @param {string} command
 * @param {(exitCode: number) => void} onExit
 */
function run(command, onExit) {
  const child = pty.spawn(SHELL, ['-c', command], { name: 'xterm-256color', cols: 120, rows: 30, env: process.env });
  child.onData(() => undefined);
  child.onExit(({ exitCode }) => onExit(exitCode));
}

/**
 * A mini agent on the ws relay: `{to: id, type: 'run', command, cid}` in, `{to: from, type: 'exit'}` out.
 * @param {string} base
 * @param {string} id
 * @returns {Promise<void>}
 */
function miniWs(base, id) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${base}/peer?id=${id}`, { perMessageDeflate: false });
    ws.on('open', resolve);
    ws.on('error', reject);
    ws.on('message', (data) => {
      const bytes = /** @type {Buffer} */ (data); // the default binaryType: always a Buffer
      /** @type {MiniMessage} */
      const m = JSON.parse(bytes.toString());
      if (m.type !== 'run' || m.to !== id) return;
      run(m.command, (exitCode) => ws.send(JSON.stringify({ to: m.from, type: 'exit', cid: m.cid, agent: id, exitCode })));
    });
    minis.push(() => ws.terminate());
  });
}

/**
 * The same mini agent on the Socket.IO relay.
 * @param {string} url
 * @param {string} id
 * @returns {Promise<void>}
 */
function miniSio(url, id) {
  return new Promise((resolve, reject) => {
    const socket = io(url, { transports: ['websocket'], query: { role: 'peer', id }, forceNew: true, reconnection: false });
    socket.on('connect', resolve);
    socket.on('connect_error', reject);
    socket.on('m', (/** @type {MiniMessage} */ m) => {
      if (m.type !== 'run' || m.to !== id) return;
      run(m.command, (exitCode) => socket.emit('m', { to: m.from, type: 'exit', cid: m.cid, agent: id, exitCode }));
    });
    minis.push(() => socket.disconnect());
  });
}

const methods = {
  start,
  /**
   * Mini agents for a relay, one per id.
   * @param {{ kind: 'ws' | 'sio', url: string, ids: string[] }} params
   */
  startMini: async ({ kind, url, ids }) => {
    await Promise.all(ids.map((id) => (kind === 'ws' ? miniWs(url, id) : miniSio(url, id))));
    return ids.length;
  },
  /**
   * Status scenario: connect one agent; returns the moment the connection was started.
   * @param {{ url: string, token: string, name: string }} params
   */
  connectOne: async ({ url, token, name }) => {
    const t0 = now();
    const agent = startAgent({ url, token, name, shell: SHELL, logger });
    single = agent;
    await new Promise((resolve) => agent.on('connected', resolve));
    return t0;
  },
  /** Returns the moment the agent began to disconnect. */
  disconnectOne: async () => {
    if (!single) throw new Error('no agent connected');
    const t0 = now();
    await single.stop();
    single = undefined;
    return t0;
  },
  stopAll: async () => {
    await Promise.all(agents.splice(0).map((a) => a.stop()));
    for (const close of minis.splice(0)) close();
  },
};
/** @typedef {typeof methods} Methods */
serve(methods, {
  onExit: async () => {
    await Promise.all(agents.map((a) => a.stop()));
    await single?.stop();
  },
});
