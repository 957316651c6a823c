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
const agents = [];
const minis = [];
let single;

/** Starts one Onsembl agent per token; resolves when all are registered. */
async function start({ url, tokens, names }) {
  await Promise.all(tokens.map((token, i) => new Promise((resolve, reject) => {
    const agent = startAgent({ url, token, name: names[i], shell: SHELL, logger });
    agents.push(agent);
    agent.on('connected', resolve);
    agent.on('fatal', reject);
  })));
  return agents.length;
}

/** Runs `command` in a PTY like the Onsembl agent's ShellRunner, calls back on exit. */
function run(command, onExit) {
  const child = pty.spawn(SHELL, ['-c', command], { name: 'xterm-256color', cols: 120, rows: 30, env: process.env });
  child.onData(() => undefined);
  child.onExit(({ exitCode }) => onExit(exitCode));
}

/** A mini agent on the ws relay: `{to: id, type: 'run', command, cid}` in, `{to: from, type: 'exit'}` out. */
function miniWs(base, id) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${base}/peer?id=${id}`, { perMessageDeflate: false });
    ws.on('open', resolve);
    ws.on('error', reject);
    ws.on('message', (data) => {
      const m = JSON.parse(data);
      if (m.type !== 'run' || m.to !== id) return;
      run(m.command, (exitCode) => ws.send(JSON.stringify({ to: m.from, type: 'exit', cid: m.cid, agent: id, exitCode })));
    });
    minis.push(() => ws.terminate());
  });
}

function miniSio(url, id) {
  return new Promise((resolve, reject) => {
    const socket = io(url, { transports: ['websocket'], query: { role: 'peer', id }, forceNew: true, reconnection: false });
    socket.on('connect', resolve);
    socket.on('connect_error', reject);
    socket.on('m', (m) => {
      if (m.type !== 'run' || m.to !== id) return;
      run(m.command, (exitCode) => socket.emit('m', { to: m.from, type: 'exit', cid: m.cid, agent: id, exitCode }));
    });
    minis.push(() => socket.disconnect());
  });
}

serve(
  {
    start,
    startMini: async ({ kind, url, ids }) => {
      await Promise.all(ids.map((id) => (kind === 'ws' ? miniWs(url, id) : miniSio(url, id))));
      return ids.length;
    },
    /** Status scenario: connect one agent; returns the moment the connection was started. */
    connectOne: async ({ url, token, name }) => {
      const t0 = now();
      single = startAgent({ url, token, name, shell: SHELL, logger });
      await new Promise((resolve) => single.on('connected', resolve));
      return t0;
    },
    /** Returns the moment the agent began to disconnect. */
    disconnectOne: async () => {
      const t0 = now();
      await single.stop();
      single = undefined;
      return t0;
    },
    stopAll: async () => {
      await Promise.all(agents.splice(0).map((a) => a.stop()));
      for (const close of minis.splice(0)) close();
    },
  },
  {
    onExit: async () => {
      await Promise.all(agents.map((a) => a.stop()));
      await single?.stop();
    },
  },
);
