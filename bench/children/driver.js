// @ts-check
// The commands scenario's dashboard: keeps `depth` commands queued on every agent (a new request
// as soon as one finishes) and counts completions. Talks to Onsembl as a dashboard, or to a relay
// as the peer 'driver' that sends `run` messages to mini agents.
import WebSocket from 'ws';
import { io } from 'socket.io-client';
import { now, sleep } from '../lib/clock.js';
import { serve } from '../lib/rpc.js';
import { percentile } from '../lib/stats.js';

const FINAL = new Set(['completed', 'failed', 'cancelled', 'timeout']);
/** @type {(agentId: string, cid: string) => void} */
let request = () => {
  throw new Error('not connected');
};
/** @type {(agentId: string) => unknown} */
let onFinished = () => undefined;
let completed = 0;
let failed = 0;
let sequence = 0;
/** Start time by request id, then by command id once Onsembl names the command. @type {Map<string, number | undefined>} */
const startedAt = new Map();
/** @type {number[]} */
const durations = [];

/** @typedef {{ type: string, payload: { agentId: string, commandId: string, status: string, requestId?: string } }} OnsemblMessage */
/** @typedef {{ type: string, to: string, agent: string, cid: string, exitCode: number }} ExitMessage */

/** @param {{ kind: 'onsembl' | 'ws' | 'sio', url: string }} params */
async function connect({ kind, url }) {
  if (kind === 'onsembl') {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    ws.on('message', (data) => {
      const bytes = /** @type {Buffer} */ (data); // the default binaryType: always a Buffer
      /** @type {OnsemblMessage} */
      const m = JSON.parse(bytes.toString());
      if (m.type === 'command:status' && FINAL.has(m.payload.status)) finished(m.payload.agentId, m.payload.commandId, m.payload.status === 'completed');
      else if (m.type === 'command:status' && m.payload.requestId) startedAt.set(m.payload.commandId, startedAt.get(m.payload.requestId));
      else if (m.type === 'error') failed++;
    });
    request = (agentId, cid) => ws.send(JSON.stringify({
      version: '1.0.0', type: 'command:request', timestamp: Date.now(),
      payload: { agentId, command: 'true', priority: 'normal', requestId: cid },
    }));
  } else if (kind === 'ws') {
    const ws = new WebSocket(`${url}/peer?id=driver`, { perMessageDeflate: false });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    ws.on('message', (data) => {
      const bytes = /** @type {Buffer} */ (data); // the default binaryType: always a Buffer
      /** @type {ExitMessage} */
      const m = JSON.parse(bytes.toString());
      if (m.type === 'exit' && m.to === 'driver') finished(m.agent, m.cid, m.exitCode === 0);
    });
    request = (agentId, cid) => ws.send(JSON.stringify({ to: agentId, from: 'driver', type: 'run', command: 'true', cid }));
  } else {
    const socket = io(url, { transports: ['websocket'], query: { role: 'peer', id: 'driver' }, forceNew: true, reconnection: false });
    await /** @type {Promise<void>} */ (new Promise((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    }));
    socket.on('m', (/** @type {ExitMessage} */ m) => {
      if (m.type === 'exit' && m.to === 'driver') finished(m.agent, m.cid, m.exitCode === 0);
    });
    request = (agentId, cid) => socket.emit('m', { to: agentId, from: 'driver', type: 'run', command: 'true', cid });
  }
}

/**
 * @param {string} agentId
 * @param {string} id  the request's or command's id
 * @param {boolean} ok
 */
function finished(agentId, id, ok) {
  if (ok) completed++;
  else failed++;
  const t0 = startedAt.get(id);
  startedAt.delete(id);
  if (t0 !== undefined) durations.push(now() - t0);
  onFinished(agentId);
}

/** @param {string} agentId */
function send(agentId) {
  const cid = `c-${++sequence}`;
  startedAt.set(cid, now());
  request(agentId, cid);
}

/**
 * Keeps every agent `depth` commands deep for warmupMs + windowMs; counts completions in the window.
 * @param {{ agentIds: string[], depth: number, warmupMs: number, windowMs: number }} params
 */
async function drive({ agentIds, depth, warmupMs, windowMs }) {
  let driving = true;
  onFinished = (agentId) => driving && send(agentId);
  for (let d = 0; d < depth; d++) for (const id of agentIds) send(id);
  await sleep(warmupMs);
  const c0 = completed;
  durations.length = 0;
  const t0 = now();
  await sleep(windowMs);
  const c1 = completed;
  const ms = now() - t0;
  driving = false;
  return {
    perSecond: ((c1 - c0) * 1000) / ms,
    failed,
    p50: percentile(durations, 50),
    p99: percentile(durations, 99),
  };
}

const methods = { connect, drive };
/** @typedef {typeof methods} Methods */
serve(methods);
