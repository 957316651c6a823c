import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseServerToAgentMessage, parseServerToDashboardMessage } from '@onsembl/protocol';
import { spawnAgent } from '../support/agent-process.js';
import { spawnServer, type ServerProcess } from '../support/server-process.js';
import { tempDir } from '../support/temp-dir.js';
import { TestSocket } from '../support/test-socket.js';
import { TokenService } from '@onsembl/server';
import { TEST_SECRET } from '../support/test-server.js';
import { AGENT_TEMPLATES, anyMessages, DASHBOARD_TEMPLATES, invalidMessages } from './fuzz-messages.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261129);
const tokens = new TokenService(TEST_SECRET);

interface Endpoint {
  open(): Promise<TestSocket>;
  /** A message whose answer proves everything sent before it was handled. */
  sentinel(i: number): string;
  isSentinelAnswer(m: { type: string; payload: Record<string, unknown> }, i: number): boolean;
  validate(m: unknown): boolean;
}

function dashboardEndpoint(server: ServerProcess): Endpoint {
  return {
    open: async () => {
      const s = await TestSocket.open(`${server.wsUrl}/ws/dashboard?token=${await tokens.issue('dashboard', 'fuzzer')}`);
      await s.waitFor('agent:list');
      return s;
    },
    sentinel: (i) => JSON.stringify({ version: '1.0.0', type: 'command:interrupt', timestamp: 1, payload: { commandId: `sentinel-${i}` } }),
    isSentinelAnswer: (m, i) => m.type === 'error' && String(m.payload.message).includes(`sentinel-${i} `),
    validate: (m) => parseServerToDashboardMessage.check(m).ok,
  };
}

function agentEndpoint(server: ServerProcess): Endpoint {
  return {
    open: async () => {
      const s = await TestSocket.open(`${server.wsUrl}/ws/agent?token=${await tokens.issue('agent', 'fuzz-agent')}`);
      s.send('agent:connect', { name: 'fuzz', type: 'shell', version: '0', running: [] });
      await s.waitFor('connection:ack');
      return s;
    },
    sentinel: (i) => JSON.stringify({ version: '1.0.0', type: 'heartbeat', timestamp: 1, payload: { sequence: 1_000_000 + i } }),
    isSentinelAnswer: (m, i) => m.type === 'heartbeat' && m.payload.sequence === 1_000_000 + i,
    validate: (m) => parseServerToAgentMessage.check(m).ok,
  };
}

/** Sends everything in batches, each closed by a sentinel; reopens when the server closed the socket. */
async function fire(endpoint: Endpoint, messages: Array<string | Buffer>) {
  let socket = await endpoint.open();
  const answers: Array<{ type: string; payload: Record<string, unknown> }> = [];
  let reopened = 0;
  const batch = 1_000;
  for (let start = 0, i = 0; start < messages.length; start += batch, i++) {
    for (const m of messages.slice(start, start + batch)) socket.ws.send(m, { binary: Buffer.isBuffer(m) });
    socket.ws.send(endpoint.sentinel(i));
    const done = await Promise.race([
      new Promise<boolean>((resolve, reject) => {
        const deadline = Date.now() + 30_000;
        const check = () => {
          if (socket.messages.some((m) => endpoint.isSentinelAnswer(m, i))) return resolve(true);
          if (Date.now() > deadline) return reject(new Error(`no answer to sentinel ${i}; last: ${JSON.stringify(socket.messages.slice(-3)).slice(0, 500)}`));
          setTimeout(check, 2);
        };
        check();
      }),
      socket.closed.then(() => false),
    ]);
    answers.push(...socket.messages);
    if (!done) {
      reopened++;
      socket = await endpoint.open();
    } else {
      socket.messages.length = 0;
    }
  }
  await socket[Symbol.asyncDispose]();
  return { answers, reopened };
}

describe('fuzzing both endpoints with 100,000+ generated and mutated messages', () => {
  it('never crashes or grows without bound, answers INVALID_MESSAGE where due, and serves a command afterwards', async () => {
    await using dir = await tempDir();
    // Rate limits off for the fuzzer: it must reach validation, not the limiter.
    await using server = await spawnServer(dir.path, ['--messages-per-second', '1000000', '--commands-per-minute', '1000000', '--log-level', 'error']);
    const endpoints = { dashboard: dashboardEndpoint(server), agent: agentEndpoint(server) };

    // Warm up, then measure memory across the bulk of the run.
    await fire(endpoints.dashboard, fc.sample(anyMessages(DASHBOARD_TEMPLATES), { numRuns: 2_000, seed: SEED }));
    const rssBefore = server.rssBytes();

    let total = 0;
    for (const [name, templates] of [['dashboard', DASHBOARD_TEMPLATES], ['agent', AGENT_TEMPLATES]] as const) {
      const endpoint = endpoints[name];
      const invalid = fc.sample(invalidMessages(templates), { numRuns: 25_000, seed: SEED + 1 });
      const result = await fire(endpoint, invalid);
      const invalidAnswers = result.answers.filter((m) => m.type === 'error' && m.payload.code === 'INVALID_MESSAGE');
      expect(result.reopened, name).toBe(0);
      expect(invalidAnswers.length, name).toBe(invalid.length);
      for (const a of result.answers) expect(endpoint.validate(a), `${name}: ${JSON.stringify(a).slice(0, 200)}`).toBe(true);

      const anything = fc.sample(anyMessages(templates), { numRuns: 25_000, seed: SEED + 2 });
      const wild = await fire(endpoint, anything);
      for (const a of wild.answers) expect(endpoint.validate(a), `${name}: ${JSON.stringify(a).slice(0, 200)}`).toBe(true);
      total += invalid.length + anything.length;
    }
    expect(total).toBeGreaterThanOrEqual(100_000);
    expect(server.child.exitCode).toBeNull();
    const growth = server.rssBytes() - rssBefore;
    expect(growth, `RSS grew by ${(growth / 1e6).toFixed(1)} MB`).toBeLessThan(64 * 1024 * 1024);

    // A real agent still gets a real command through.
    await using agent = spawnAgent(server.wsUrl, await tokens.issue('agent', 'after-fuzz'));
    await using dashboard = await endpoints.dashboard.open();
    await dashboard.waitFor('agent:status', (p) => (p.agent as { id: string; status: string }).id === 'after-fuzz' && (p.agent as { status: string }).status === 'online');
    dashboard.send('command:request', { agentId: 'after-fuzz', command: 'echo survived', priority: 'high', requestId: 'last' });
    const queued = await dashboard.waitFor('command:status', (p) => p.requestId === 'last');
    await dashboard.waitFor('command:status', (p) => p.commandId === queued.payload.commandId && p.status === 'completed', 20_000);
    expect(agent.child.exitCode).toBeNull();
  }, 300_000);
});
