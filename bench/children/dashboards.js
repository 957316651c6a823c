// @ts-check
// Many dashboard connections in one process, to an Onsembl server, the ws relay or the Socket.IO
// relay. Counts what each connection receives; on request measures line latency, records when a
// status event arrived, captures frames, or stops reading on one connection (a stalled dashboard).
import WebSocket from 'ws';
import { io } from 'socket.io-client';
import { now } from '../lib/clock.js';
import { latenciesOf } from '../lib/lines.js';
import { serve } from '../lib/rpc.js';

/** @typedef {'onsembl' | 'ws' | 'sio'} Kind */

/**
 * One dashboard connection and what it received. `pause`, `send` and `close` are set once it opens.
 * @typedef {object} Conn
 * @property {Kind} kind
 * @property {number} bytes
 * @property {number} frames
 * @property {number} gaps
 * @property {number} traces  trace:event messages (AI runs)
 * @property {boolean} closed
 * @property {{ rest: string }} carry  partial line, for latency
 * @property {number} [statusAt]  when the armed status arrived
 * @property {number} [statusStamp]  that event's timestamp from the server
 * @property {() => void} pause
 * @property {(text: string) => unknown} send
 * @property {() => void} [close]
 */

/** @typedef {{ url: string, localAddress: string | undefined, deflate: boolean }} OpenOptions */
/** Buffer's own latin1Slice (no argument checks; not in @types/node). @typedef {Buffer & { latin1Slice(start: number, end: number): string }} LatinBuffer */

/**
 * ws keeps the net.Socket under a WebSocket in `_socket` (not in @types/ws).
 * @param {WebSocket} ws
 */
const rawSocket = (ws) => /** @type {WebSocket & { _socket: import('node:net').Socket }} */ (ws)._socket;

/** @type {Conn[]} */
const conns = [];
/** @type {'count' | 'latency' | 'status'} */
let mode = 'count';
/** @type {string | undefined} */
let armed;
/** @type {number[]} */
let latencies = [];
/** @type {{ max: number, frames: string[] } | undefined} */
let capture;
/** @type {{ at: number, bytes: number[], frames: number[], gaps: number[], traces: number[] }} */
let mark = { at: now(), bytes: [], frames: [], gaps: [], traces: [] };

const OUTPUT = '"terminal:output"';
const GAP = '"output:gap"';
const TRACE = '"trace:event"';

/**
 * Classifies a received message by its first bytes (every sender puts `type` right after
 * `version`) without decoding the rest: on a 2-core machine every cycle a client spends is taken
 * from the server, so counting must stay cheap. `data` is a Buffer (ws) or a string (Socket.IO).
 * @param {Conn} c
 * @param {Buffer | string} data
 */
function received(c, data) {
  const head = typeof data === 'string' ? data.slice(0, 80) : /** @type {LatinBuffer} */ (data).latin1Slice(0, Math.min(80, data.length));
  if (head.includes(OUTPUT)) {
    c.bytes += data.length;
    c.frames++;
    if (capture && c === conns[0] && capture.frames.length < capture.max) capture.frames.push(/** @type {Buffer} */ (data).toString());
    if (mode === 'latency') {
      /** @type {{ payload: { data: string } }} */
      const message = JSON.parse(/** @type {Buffer} */ (data).toString());
      latenciesOf(message.payload.data, c.carry, now(), latencies);
    }
  } else if (head.includes(TRACE)) {
    c.traces++;
  } else if (head.includes(GAP)) {
    c.gaps++;
  } else if (mode === 'status' && armed) {
    const t = now();
    /** @type {{ type: string, timestamp: number, payload: { agent: { status: string } } }} */
    const message = JSON.parse(/** @type {Buffer} */ (data).toString());
    if (message.type === 'agent:status' && message.payload.agent.status === armed && c.statusAt === undefined) {
      c.statusAt = t;
      c.statusStamp = message.timestamp;
    }
  }
}

/**
 * @param {Conn} c
 * @param {OpenOptions} options
 * @returns {Promise<void>}
 */
function openOnsembl(c, { url, localAddress, deflate }) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { localAddress, perMessageDeflate: deflate, maxPayload: 4 * 1024 * 1024 });
    let handshake = 0;
    ws.on('message', (data) => {
      // connection:ack, then agent:list: the session is subscribed to broadcasts.
      if (handshake < 2 && ++handshake === 2) resolve();
      received(c, /** @type {Buffer} */ (data));
    });
    ws.on('error', reject);
    ws.on('close', () => {
      c.closed = true;
      reject(new Error('closed during the handshake'));
    });
    c.pause = () => rawSocket(ws).pause();
    c.send = (text) => ws.readyState === WebSocket.OPEN && ws.send(text);
    c.close = () => ws.terminate();
  });
}

/**
 * @param {Conn} c
 * @param {OpenOptions} options
 * @returns {Promise<void>}
 */
function openWsRelay(c, { url, localAddress, deflate }) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { localAddress, perMessageDeflate: deflate, maxPayload: 4 * 1024 * 1024 });
    ws.on('open', resolve);
    ws.on('message', (data) => received(c, /** @type {Buffer} */ (data)));
    ws.on('error', reject);
    ws.on('close', () => (c.closed = true));
    c.pause = () => rawSocket(ws).pause();
    c.send = () => undefined;
    c.close = () => ws.terminate();
  });
}

/**
 * @param {Conn} c
 * @param {OpenOptions} options
 * @returns {Promise<void>}
 */
function openSio(c, { url, localAddress }) {
  return new Promise((resolve, reject) => {
    // localAddress goes through to the Node `ws` client under engine.io (not in the client's types).
    const options = /** @type {Partial<import('socket.io-client').ManagerOptions & import('socket.io-client').SocketOptions>} */ ({
      transports: ['websocket'], query: { role: 'consumer' }, forceNew: true, reconnection: false, localAddress,
    });
    const socket = io(url, options);
    socket.on('connect', resolve);
    socket.on('connect_error', reject);
    socket.on('disconnect', () => (c.closed = true));
    socket.on('o', (/** @type {string} */ text) => received(c, text));
    const engine = /** @type {{ transport: { ws: WebSocket } }} */ (/** @type {unknown} */ (socket.io.engine));
    c.pause = () => rawSocket(engine.transport.ws).pause();
    c.send = () => undefined;
    c.close = () => socket.disconnect();
  });
}

const openers = { onsembl: openOnsembl, ws: openWsRelay, sio: openSio };

/**
 * Heartbeats for Onsembl connections (the server closes a silent dashboard after 60 s).
 * @type {NodeJS.Timeout | undefined}
 */
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

/**
 * Opens `count` connections of `kind`, `concurrency` at a time, round-robin over `urls` and the
 * local addresses.
 * @param {{ kind: Kind, urls: string[], count: number, localAddresses?: string[], deflate?: boolean, concurrency?: number }} params
 */
async function open({ kind, urls, count, localAddresses = ['127.0.0.1'], deflate = true, concurrency = 100 }) {
  const t0 = now();
  const first = conns.length;
  let next = 0;
  let failed = 0;
  /** @type {string | undefined} */
  let lastError;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      /** @type {Conn} */
      const c = { kind, bytes: 0, frames: 0, gaps: 0, traces: 0, closed: false, carry: { rest: '' }, pause: () => undefined, send: () => undefined };
      conns.push(c);
      const options = { url: /** @type {string} */ (urls[i % urls.length]), localAddress: localAddresses[(first + i) % localAddresses.length], deflate };
      try {
        await openers[kind](c, options);
      } catch (err) {
        failed++;
        lastError = /** @type {Error} */ (err).message;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  if (kind === 'onsembl') startHeartbeats();
  return { opened: count - failed, failed, lastError, ms: now() - t0 };
}

const methods = {
  open,
  /** Starts a measurement window. */
  mark: () => {
    mark = { at: now(), bytes: conns.map((c) => c.bytes), frames: conns.map((c) => c.frames), gaps: conns.map((c) => c.gaps), traces: conns.map((c) => c.traces) };
    return mark.at;
  },
  /** Per connection, what arrived since mark(). */
  since: () => ({
    ms: now() - mark.at,
    bytes: conns.map((c, i) => c.bytes - (mark.bytes[i] ?? 0)),
    frames: conns.map((c, i) => c.frames - (mark.frames[i] ?? 0)),
    gaps: conns.map((c, i) => c.gaps - (mark.gaps[i] ?? 0)),
    traces: conns.map((c, i) => c.traces - (mark.traces[i] ?? 0)),
    closed: conns.filter((c) => c.closed).length,
  }),
  /**
   * Latency mode on or off; returns the latencies collected since the last call.
   * @param {{ on: boolean }} params
   */
  latencyMode: ({ on }) => {
    mode = on ? 'latency' : 'count';
    const out = latencies;
    latencies = [];
    return out;
  },
  /**
   * Records when each connection next gets an agent:status with `status`.
   * @param {{ status: string }} params
   */
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
  /**
   * The first connection keeps up to `max` terminal:output frames.
   * @param {{ max: number }} params
   */
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
};
/** @typedef {typeof methods} Methods */
serve(methods);
