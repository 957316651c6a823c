// @ts-check
// An AI agent's run to many dashboards: a real `onsembl agent --type claude` whose CLI is the
// stand-in replaying a long Claude Code stream (thousands of tool calls, lib/ai-stream.js), to 100
// dashboards. The agent parses every line, renders terminal output and sends a trace:event per
// step; the server stores and broadcasts both. Beside it, a shell agent `cat`s the same bytes to
// the same number of dashboards: the ratio says what the structured path costs against plain
// output of the same stream. Each run starts on fresh processes and ends once every dashboard has
// everything (or stops getting more).
import WebSocket from 'ws';
import { now, sleep } from '../lib/clock.js';
import { cpuMeter } from '../lib/cpu.js';
import { FAKE_CLAUDE, makeClaudeStream } from '../lib/ai-stream.js';
import { startFleet } from '../lib/fleet.js';
import { spawnAgentProcess, startOnsemblServer, tokenFor } from '../lib/onsembl.js';
import { finish } from '../lib/report.js';
import { sum } from '../lib/stats.js';

const MB = 1024 * 1024;
const AGENT = 'bench-ai-agent';
/** Past this without any dashboard getting more, a run is taken as over (some lost output to gaps). */
const STALL_MS = 3_000;

/** @typedef {import('../lib/context.js').Context} Context */
/** @typedef {import('../lib/ai-stream.js').AiStream} AiStream */
/**
 * What one run delivered, per dashboard, and the time from the first frame any dashboard got to the
 * moment the last one had everything (process start-up, which a real CLI spends talking to its
 * model anyway, is not part of it).
 * @typedef {{ ms: number, status: Record<string, unknown>, traces: number, frames: number, bytes: number, gaps: number, minTraces: number, cores: Record<string, number> }} RunFigures
 */

/**
 * @param {string} type
 * @param {unknown} payload
 */
const envelope = (type, payload) => JSON.stringify({ version: '1.0.0', type, timestamp: Date.now(), payload });

/**
 * A controller dashboard: waits until the agent is online, asks it to run `command`, and resolves
 * with the command's final status.
 * @param {string} wsUrl
 * @param {string} token
 * @param {string} command
 * @param {number} timeoutMs
 * @returns {Promise<Record<string, unknown>>}
 */
function runToEnd(wsUrl, token, command, timeoutMs) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${wsUrl}/ws/dashboard?token=${encodeURIComponent(token)}`, { perMessageDeflate: false });
    let requested = false;
    /** @type {string | undefined} */
    let commandId;
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`"${command.slice(0, 60)}" did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    const request = () => {
      if (requested) return;
      requested = true;
      ws.send(envelope('command:request', { agentId: AGENT, command, priority: 'normal', requestId: 'bench-ai' }));
    };
    ws.on('message', (data) => {
      const bytes = /** @type {Buffer} */ (data); // the default binaryType: always a Buffer
      const text = bytes.toString();
      // Output and trace frames are for the fleet; statuses and lists are short.
      if (text.length > 20_000 || text.includes('"terminal:output"') || text.includes('"trace:event"')) return;
      /** @type {{ type: string, payload: Record<string, any> }} */
      const m = JSON.parse(text);
      const online = (/** @type {{ id: string, status: string }} */ a) => a.id === AGENT && a.status !== 'offline';
      if (m.type === 'agent:list' && m.payload.agents.some(online)) request();
      if (m.type === 'agent:status' && online(m.payload.agent)) request();
      if (m.type === 'command:status' && m.payload.requestId === 'bench-ai') commandId = m.payload.commandId;
      if (m.type === 'command:status' && m.payload.commandId === commandId && ['completed', 'failed', 'cancelled', 'timeout'].includes(m.payload.status)) {
        clearTimeout(timer);
        ws.close();
        resolve(m.payload);
      }
      if (m.type === 'error') {
        clearTimeout(timer);
        ws.close();
        reject(new Error(`command refused: ${m.payload.message}`));
      }
    });
    ws.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/**
 * One run on fresh processes: the server, `dashboards` dashboards, one agent of `type` running `command`.
 * @param {Context} ctx
 * @param {{ dashboards: number, type: 'claude' | 'shell', command: string, name: string }} params
 * @returns {Promise<RunFigures>}
 */
async function measureRun(ctx, { dashboards, type, command, name }) {
  const [server, fleet] = await Promise.all([startOnsemblServer({}, { profile: ctx.profile(name) }), startFleet(dashboards)]);
  /** @type {ReturnType<typeof spawnAgentProcess> | undefined} */
  let agent;
  try {
    const [agentToken, dashToken] = await Promise.all([tokenFor(server, 'agent', AGENT), tokenFor(server, 'dashboard', 'bench')]);
    const args = type === 'claude' ? ['--type', 'claude', '--cli', FAKE_CLAUDE] : [];
    agent = spawnAgentProcess(server.wsUrl, agentToken, AGENT, { nodeArgs: ctx.agentProfile(name), args });
    await fleet.open({ kind: 'onsembl', urls: [`${server.wsUrl}/ws/dashboard?token=${encodeURIComponent(dashToken)}`] });
    await fleet.mark();
    const cpu = cpuMeter({ server: [server.pid], agent: [agent.pid], clients: fleet.procs.map((p) => p.pid) });
    /** @type {Record<string, unknown> | undefined} */
    let status;
    /** @type {unknown} */
    let failure;
    const finished = runToEnd(server.wsUrl, dashToken, command, 10 * 60_000).then((s) => (status = s), (err) => (failure = err));
    // Polls the fleet: the run starts with the first frame any dashboard got and ends once every
    // dashboard has what the final status says there is (or nothing more arrives).
    let since = await fleet.since();
    /** @type {number | undefined} */
    let firstAt;
    let lastAt = now();
    let got = 0;
    for (;;) {
      await sleep(20);
      since = await fleet.since();
      const total = sum(since.frames) + sum(since.traces);
      if (total > got) {
        lastAt = now();
        firstAt ??= lastAt;
        got = total;
      }
      if (failure) throw failure instanceof Error ? failure : new Error(JSON.stringify(failure));
      if (!status) continue;
      const complete = sum(since.frames) >= Number(status.lastSequence ?? 0) * dashboards
        && sum(since.traces) >= Number(status.lastTraceSequence ?? 0) * dashboards;
      if (complete || now() - lastAt > STALL_MS) break;
    }
    await finished;
    if (!status) throw new Error('no final status');
    const ms = Math.max(1, lastAt - (firstAt ?? lastAt));
    return {
      ms,
      status,
      traces: sum(since.traces) / dashboards,
      minTraces: Math.min(...since.traces),
      frames: sum(since.frames) / dashboards,
      bytes: sum(since.bytes) / dashboards,
      gaps: sum(since.gaps),
      cores: cpu.stop(ms),
    };
  } finally {
    await Promise.all([agent?.stop(), fleet.stop(), server.stop()]);
  }
}

/** @param {Context} ctx */
export async function run(ctx) {
  const { dashboards, toolCalls } = ctx.config.aiStream;
  const stream = makeClaudeStream(toolCalls);
  ctx.log(`AI stream (${toolCalls} tool calls, ${(stream.bytes / MB).toFixed(1)} MB) to ${dashboards} dashboards: claude agent`);
  const ai = await measureRun(ctx, { dashboards, type: 'claude', command: `replay @stream=${stream.file}`, name: `ai-stream-${dashboards}` });
  ctx.log(`AI stream to ${dashboards} dashboards: shell agent printing the same bytes`);
  const shell = await measureRun(ctx, { dashboards, type: 'shell', command: `cat ${stream.file}`, name: `ai-stream-${dashboards}-shell` });
  const linesPerSecond = (/** @type {RunFigures} */ r) => (stream.lines * 1000) / r.ms;
  const notes = [
    'the "ws relay" column holds a shell agent `cat`ing the same stream file (the same bytes as plain output), not the ws relay; ÷ws is the AI run\'s speed as a share of it',
    `trace events/s per dashboard: ${((ai.traces * 1000) / ai.ms).toFixed(0)}`,
  ];
  if (ai.status.status !== 'completed') notes.push(`the AI run ended ${String(ai.status.status)} (${typeof ai.status.stopReason === 'string' ? ai.status.stopReason : ''} ${typeof ai.status.message === 'string' ? ai.status.message : ''})`);
  if (ai.gaps + shell.gaps > 0) notes.push(`gap markers: ${ai.gaps} (AI), ${shell.gaps} (shell): some dashboards were too slow, only delivered frames count`);
  if (ai.minTraces < Number(ai.status.lastTraceSequence ?? 0)) notes.push(`a dashboard got ${ai.minTraces} of ${String(ai.status.lastTraceSequence)} trace events`);
  return [finish({
    key: `ai-stream-${dashboards}`,
    title: `AI agent replaying a ${toolCalls.toLocaleString('en-US')}-tool-call Claude stream to ${dashboards} dashboards (CLI events/s)`,
    unit: 'CLI events/s',
    better: 'higher',
    digits: 0,
    value: linesPerSecond(ai),
    baseline: linesPerSecond(shell),
    peer: undefined,
    cores: ai.cores,
    extra: {
      streamBytes: stream.bytes,
      streamLines: stream.lines,
      toolCalls,
      aiMs: ai.ms,
      shellMs: shell.ms,
      traceEventsPerDashboard: ai.traces,
      traceEventsPerSecondPerDashboard: (ai.traces * 1000) / ai.ms,
      aiTerminalMBPerDashboard: ai.bytes / MB,
      shellTerminalMBPerDashboard: shell.bytes / MB,
      streamMBps: stream.bytes / MB / (ai.ms / 1000),
      shellStreamMBps: stream.bytes / MB / (shell.ms / 1000),
      aiStatus: ai.status.status,
      shellCores: shell.cores,
      gaps: ai.gaps,
      shellGaps: shell.gaps,
    },
    notes: notes.join('; '),
  })];
}
