// The commands scenario's dashboard: keeps `depth` commands queued on every agent (a new request
// as soon as one finishes) and counts completions. Talks to Onsembl as a dashboard, or to a relay
// as the peer 'driver' that sends `run` messages to mini agents.
import WebSocket from 'ws';
import { io } from 'socket.io-client';
import { now, sleep } from '../lib/clock.js';
import { serve } from '../lib/rpc.js';
import { percentile } from '../lib/stats.js';

const FINAL = new Set(['completed', 'failed', 'cancelled', 'timeout']);
let request;
let onFinished = () => undefined;
let completed = 0;
let failed = 0;
let sequence = 0;
const startedAt = new Map();
const durations = [];

async function connect({ kind, url }) {
  if (kind === 'onsembl') {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    ws.on('message', (data) => {
      const m = JSON.parse(data);
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
      const m = JSON.parse(data);
      if (m.type === 'exit' && m.to === 'driver') finished(m.agent, m.cid, m.exitCode === 0);
    });
    request = (agentId, cid) => ws.send(JSON.stringify({ to: agentId, from: 'driver', type: 'run', command: 'true', cid }));
  } else {
    const socket = io(url, { transports: ['websocket'], query: { role: 'peer', id: 'driver' }, forceNew: true, reconnection: false });
    await new Promise((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    socket.on('m', (m) => {
      if (m.type === 'exit' && m.to === 'driver') finished(m.agent, m.cid, m.exitCode === 0);
    });
    request = (agentId, cid) => socket.emit('m', { to: agentId, from: 'driver', type: 'run', command: 'true', cid });
  }
}

function finished(agentId, id, ok) {
  if (ok) completed++;
  else failed++;
  const t0 = startedAt.get(id);
  startedAt.delete(id);
  if (t0 !== undefined) durations.push(now() - t0);
  onFinished(agentId);
}

function send(agentId) {
  const cid = `c-${++sequence}`;
  startedAt.set(cid, now());
  request(agentId, cid);
}

/** Keeps every agent `depth` commands deep for warmupMs + windowMs; counts completions in the window. */
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

serve({ connect, drive });
