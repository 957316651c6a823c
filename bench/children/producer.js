// @ts-check
// The baselines' agent: one producer connection to the ws or Socket.IO relay that sends the same
// bytes Onsembl's agent produced (frames captured by a dashboard), as fast as the relay takes them,
// or timestamped lines in 50 ms batches, or one status event.
import { createRequire } from 'node:module';
import WebSocket from 'ws';
import { io } from 'socket.io-client';
import { now, sleep } from '../lib/clock.js';
import { stampedLine } from '../lib/lines.js';
import { serve } from '../lib/rpc.js';

/**
 * socket.io-client internals `buffered` reads (not in its types): the engine's `ws` socket and the
 * packets waiting above it.
 * @typedef {{ transport: { ws?: { bufferedAmount: number } }, writeBuffer: unknown[] }} EngineInternals
 */

/** @type {(text: string) => void} */
let send = () => {
  throw new Error('not connected');
};
/** Bytes accepted by the producer's socket but not yet written: the relay's back-pressure shows here. */
let buffered = () => 0;
const HIGH_BYTES = 1024 * 1024;

/** @param {{ kind: 'ws' | 'sio', url: string }} params */
async function connect({ kind, url }) {
  if (kind === 'ws') {
    const ws = new WebSocket(`${url}/producer`, { perMessageDeflate: false });
    await new Promise((resolve, reject) => {
      ws.on('open', resolve);
      ws.on('error', reject);
    });
    send = (text) => ws.send(text);
    buffered = () => ws.bufferedAmount;
  } else {
    const socket = io(url, { transports: ['websocket'], query: { role: 'producer' }, forceNew: true, reconnection: false });
    await /** @type {Promise<void>} */ (new Promise((resolve, reject) => {
      socket.on('connect', resolve);
      socket.on('connect_error', reject);
    }));
    send = (text) => socket.emit('o', text);
    const engine = /** @type {EngineInternals} */ (/** @type {unknown} */ (socket.io.engine));
    buffered = () => (engine.transport.ws?.bufferedAmount ?? 0) + engine.writeBuffer.length * 10_240;
  }
}

/**
 * A synthetic Onsembl agent (the protocol spoken directly, no PTY, no chunker, no compression):
 * registers, takes the command it is given and answers `command:started`; floodAgent() then sends
 * the captured chunks as that command's output. It isolates the server's share of the fan-out.
 */
/** @type {Promise<string> | undefined} */
let commandReady;
/**
 * @param {{ url: string, token: string, name: string }} params
 * @returns {Promise<void>}
 */
async function connectAgent({ url, token, name }) {
  const ws = new WebSocket(`${url}/ws/agent?token=${encodeURIComponent(token)}`, { perMessageDeflate: false });
  /**
   * @param {string} type
   * @param {unknown} payload
   */
  const envelope = (type, payload) => JSON.stringify({ version: '1.0.0', type, timestamp: Date.now(), payload });
  buffered = () => ws.bufferedAmount;
  send = (text) => ws.send(text);
  return new Promise((resolve, reject) => {
    ws.on('open', () => ws.send(envelope('agent:connect', { name, type: 'shell', version: 'bench', running: [] })));
    ws.on('error', reject);
    commandReady = new Promise((resolveCommand) => {
      ws.on('message', (data) => {
        const bytes = /** @type {Buffer} */ (data); // the default binaryType: always a Buffer
        /** @type {{ type: string, payload: { commandId: string } }} */
        const m = JSON.parse(bytes.toString());
        if (m.type === 'connection:ack') resolve();
        if (m.type === 'command:execute') {
          ws.send(envelope('command:started', { commandId: m.payload.commandId, pid: process.pid }));
          resolveCommand(m.payload.commandId);
        }
      });
    });
  });
}

/** @param {{ datas: string[], ms: number, bytesPerSecond?: number }} params */
async function floodAgent({ datas, ms, bytesPerSecond }) {
  const commandId = await commandReady;
  let sequence = 0;
  // Each frame is built when sent: sequence numbers must increase.
  const next = () => JSON.stringify({
    version: '1.0.0', type: 'terminal:output', timestamp: Date.now(),
    payload: { commandId, sequence: ++sequence, stream: 'stdout', data: datas[sequence % datas.length] },
  });
  return flood({ ms, next, bytesPerSecond, chunkBytes: /** @type {string} */ (datas[0]).length });
}

/**
 * Sends `frames` round-robin (or `next()`) for `ms`, keeping at most ~1 MB queued in its own socket.
 * @param {{ frames?: string[], ms: number, next?: () => string, bytesPerSecond?: number, chunkBytes?: number }} params
 */
async function flood({ frames, ms, next, bytesPerSecond, chunkBytes = 10_240 }) {
  const start = now();
  const end = start + ms;
  let sent = 0;
  // With a rate, no more than `bytesPerSecond` (an A/B of server CPU at a load it can carry).
  const list = /** @type {string[]} */ (frames);
  const frame = next ?? (() => /** @type {string} */ (list[sent % list.length]));
  const allowed = () => (bytesPerSecond ? Math.floor((((now() - start) / 1000) * bytesPerSecond) / chunkBytes) - sent : 32);
  while (now() < end) {
    if (buffered() >= HIGH_BYTES || allowed() <= 0) {
      await sleep(1);
      continue;
    }
    for (let k = Math.min(32, allowed()); k > 0 && buffered() < HIGH_BYTES; k--) {
      send(frame());
      sent++;
    }
    // Let the socket write and the relay's replies arrive.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return { sent };
}

/**
 * The baselines' producer with a real terminal, for a bound rather than a baseline: runs `command`
 * in a PTY through node-pty (as Onsembl's shell agent does) and sends its output for `ms` as frames
 * shaped like `template` (a captured Onsembl frame), cut at that frame's data length, so the relay
 * gets the same sizes of the same text. Its PTY is held, as the agent holds it, while ~1 MB waits in
 * the socket. What it leaves out of Onsembl's agent: acknowledgements, JSON sizing, escape-safe cuts.
 */
/** @param {{ command: string, ms: number, template: string }} params */
async function ptyFlood({ command, ms, template }) {
  /** @type {typeof import('node-pty')} */
  const pty = createRequire(new URL('../../packages/agent/package.json', import.meta.url))('node-pty');
  /** @type {{ timestamp: number, payload: { sequence: number, data: string } }} */
  const frame = JSON.parse(template);
  const chunkChars = frame.payload.data.length;
  const term = pty.spawn('/bin/bash', ['-c', command], { name: 'xterm-256color', cols: 120, rows: 40, env: process.env });
  let pending = '';
  let sent = 0;
  let held = false;
  /** @returns {void} */
  const release = () => {
    if (buffered() >= HIGH_BYTES / 4) return void setTimeout(release, 1);
    held = false;
    term.resume();
  };
  term.onData((data) => {
    pending += data;
    while (pending.length >= chunkChars) {
      frame.payload.sequence = ++sent;
      frame.payload.data = pending.slice(0, chunkChars);
      frame.timestamp = Date.now();
      send(JSON.stringify(frame));
      pending = pending.slice(chunkChars);
    }
    if (!held && buffered() >= HIGH_BYTES) {
      held = true;
      term.pause();
      setTimeout(release, 1);
    }
  });
  await sleep(ms);
  term.kill('SIGKILL');
  return { sent };
}

/**
 * Writes `rate` stamped lines per second for `ms`, batched like the agent batches PTY output: a
 * chunk goes out `batchMs` after its first byte, or at once when it reaches `maxBytes`.
 */
/** @param {{ rate: number, ms: number, batchMs: number, maxBytes: number, commandId: string, agentId: string }} params */
async function lines({ rate, ms, batchMs, maxBytes, commandId, agentId }) {
  const start = now();
  const total = Math.round((rate * ms) / 1000);
  let written = 0;
  let sequence = 0;
  let pending = '';
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    if (pending === '') return;
    sequence++;
    const payload = { commandId, agentId, data: pending, stream: 'stdout', sequence };
    send(JSON.stringify({ version: '1.0.0', type: 'terminal:output', timestamp: Date.now(), payload }));
    pending = '';
  };
  while (written < total) {
    const due = Math.min(total, Math.floor(((now() - start) / 1000) * rate));
    while (written < due) {
      pending += stampedLine(now()).replace('\n', '\r\n');
      written++;
      if (pending.length >= maxBytes) flush();
      else timer ??= setTimeout(flush, batchMs);
    }
    await sleep(1);
  }
  flush();
  return { written, chunks: sequence };
}

/**
 * One agent:status event, shaped like Onsembl's; returns when it was sent.
 * @param {{ status: string, agentId: string }} params
 */
function status({ status, agentId }) {
  const agent = { id: agentId, name: agentId, type: 'shell', status, lastSeenAt: Date.now(), currentCommandId: null, queueLength: 0 };
  const t = now();
  send(JSON.stringify({ version: '1.0.0', type: 'agent:status', timestamp: Date.now(), payload: { agent } }));
  return t;
}

const methods = { connect, flood, ptyFlood, lines, status, connectAgent, floodAgent };
/** @typedef {typeof methods} Methods */
serve(methods);
