// Many dashboard connections in one process, to an Onsembl server, the ws relay or the Socket.IO
// relay. Counts what each connection receives; on request measures line latency, records when a
// status event arrived, captures frames, or stops reading on one connection (a stalled dashboard).
import WebSocket from 'ws';
import { io } from 'socket.io-client';
import { now } from '../lib/clock.js';
import { latenciesOf } from '../lib/lines.js';
import { serve } from '../lib/rpc.js';

/** Per connection: { kind, bytes, frames, gaps, closed, carry, statusAt, pause(), send(text) } */
const conns = [];
let mode = 'count';
let armed;
let latencies = [];
let capture;
let mark = { at: now(), bytes: [], frames: [], gaps: [] };

const OUTPUT = '"terminal:output"';
const GAP = '"output:gap"';

/**
 * Classifies a received message by its first bytes (every sender puts `type` right after
 * `version`) without decoding the rest: on a 2-core machine every cycle a client spends is taken
 * from the server, so counting must stay cheap. `data` is a Buffer (ws) or a string (Socket.IO).
 */
function received(c, data) {
  const head = typeof data === 'string' ? data.slice(0, 80) : data.latin1Slice(0, Math.min(80, data.length));
  if (head.includes(OUTPUT)) {
    c.bytes += data.length;
    c.frames++;
    if (capture && c === conns[0] && capture.frames.length < capture.max) capture.frames.push(data.toString());
    if (mode === 'latency') {
      const message = JSON.parse(data.toString());
      latenciesOf(message.payload.data, c.carry, now(), latencies);
    }
  } else if (head.includes(GAP)) {
    c.gaps++;
  } else if (mode === 'status' && armed) {
    const t = now();
    const message = JSON.parse(data.toString());
    if (message.type === 'agent:status' && message.payload.agent.status === armed && c.statusAt === undefined) {
      c.statusAt = t;
      c.statusStamp = message.timestamp;
    }
  }
}

function openOnsembl(c, { url, localAddress, deflate }) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { localAddress, perMessageDeflate: deflate, maxPayload: 4 * 1024 * 1024 });
    let handshake = 0;
    ws.on('message', (data) => {
      // connection:ack, then agent:list: the session is subscribed to broadcasts.
      if (handshake < 2 && ++handshake === 2) resolve();
      received(c, data);
    });
    ws.on('error', reject);
    ws.on('close', () => {
      c.closed = true;
      reject(new Error('closed during the handshake'));
    });
    c.pause = () => ws._socket.pause();
    c.send = (text) => ws.readyState === WebSocket.OPEN && ws.send(text);
    c.close = () => ws.terminate();
  });
}

function openWsRelay(c, { url, localAddress, deflate }) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { localAddress, perMessageDeflate: deflate, maxPayload: 4 * 1024 * 1024 });
    ws.on('open', resolve);
    ws.on('message', (data) => received(c, data));
    ws.on('error', reject);
    ws.on('close', () => (c.closed = true));
    c.pause = () => ws._socket.pause();
    c.send = () => undefined;
    c.close = () => ws.terminate();
  });
}

function openSio(c, { url, localAddress }) {
  return new Promise((resolve, reject) => {
    const socket = io(url, {
      transports: ['websocket'], query: { role: 'consumer' }, forceNew: true, reconnection: false, localAddress,
    });
    socket.on('connect', resolve);
    socket.on('connect_error', reject);
    socket.on('disconnect', () => (c.closed = true));
    socket.on('o', (text) => received(c, text));
    c.pause = () => socket.io.engine.transport.ws._socket.pause();
    c.send = () => undefined;
    c.close = () => socket.disconnect();
  });
}

const openers = { onsembl: openOnsembl, ws: openWsRelay, sio: openSio };

/** Heartbeats for Onsembl connections (the server closes a silent dashboard after 60 s). */
let heartbeatTimer;
function startHeartbeats() {
  let sequence = 0;
  heartbeatTimer ??= setInterval(() => {
    sequence++;
    const text = JSON.stringify({ version: '1.0.0', type: 'heartbeat', timestamp: Date.now(), payload: { sequence } });
    for (const c of conns) if (c.kind === 'onsembl' && !c.closed) c.send(text);
  }, 30_000);
  heartbeatTimer.unref();
}

async function open({ kind, urls, count, localAddresses = ['127.0.0.1'], deflate = true, concurrency = 100 }) {
  const t0 = now();
  const first = conns.length;
  let next = 0;
  let failed = 0;
  let lastError;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const c = { kind, bytes: 0, frames: 0, gaps: 0, closed: false, carry: { rest: '' } };
      conns.push(c);
      const options = { url: urls[i % urls.length], localAddress: localAddresses[(first + i) % localAddresses.length], deflate };
      try {
        await openers[kind](c, options);
      } catch (err) {
        failed++;
        lastError = err.message;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  if (kind === 'onsembl') startHeartbeats();
  return { opened: count - failed, failed, lastError, ms: now() - t0 };
}

serve({
  open,
  /** Starts a measurement window. */
  mark: () => {
    mark = { at: now(), bytes: conns.map((c) => c.bytes), frames: conns.map((c) => c.frames), gaps: conns.map((c) => c.gaps) };
    return mark.at;
  },
  /** Per connection, what arrived since mark(). */
  since: () => ({
    ms: now() - mark.at,
    bytes: conns.map((c, i) => c.bytes - (mark.bytes[i] ?? 0)),
    frames: conns.map((c, i) => c.frames - (mark.frames[i] ?? 0)),
    gaps: conns.map((c, i) => c.gaps - (mark.gaps[i] ?? 0)),
    closed: conns.filter((c) => c.closed).length,
  }),
  latencyMode: ({ on }) => {
    mode = on ? 'latency' : 'count';
    const out = latencies;
    latencies = [];
    return out;
  },
  armStatus: ({ status }) => {
    mode = 'status';
    armed = status;
    for (const c of conns) c.statusAt = c.statusStamp = undefined;
  },
  statusTimes: () => ({
    at: conns.map((c) => c.statusAt ?? null),
    stamp: conns.map((c) => c.statusStamp ?? null),
  }),
  statusCount: () => conns.filter((c) => c.statusAt !== undefined).length,
  capture: ({ max }) => {
    capture = { max, frames: [] };
  },
  captured: () => capture?.frames ?? [],
  /** Every connection of this process stops reading: its socket is paused, the kernel buffers fill. */
  stall: () => {
    for (const c of conns) c.pause();
  },
  closeAll: () => {
    for (const c of conns) c.close?.();
  },
});
