import { describe, expect, it } from 'vitest';
import { TokenService } from '@onsembl/server';
import { clusterEnginesAvailable, startTestCluster } from '../support/cluster.js';
import { connectRawAgent } from '../support/raw-agent.js';
import { TEST_SECRET } from '../support/test-server.js';
import { openDashboard } from '../support/test-socket.js';
import { waitUntil } from '../support/wait-until.js';

const tokens = new TokenService(TEST_SECRET);
const withEngines = await clusterEnginesAvailable();
type Position = { epoch: string; offset: number };

describe.skipIf(!withEngines)('several nodes: one history', () => {
  it('three nodes writing at once, with random delays inside their transactions: every dashboard sees the same dense sequence', async () => {
    await using cluster = await startTestCluster();
    const env = { ONSEMBL_TEST_COMMIT_JITTER_MS: '6' };
    const nodes = [await cluster.start('a', { env }), await cluster.start('b', { env }), await cluster.start('c', { env })];
    const token = await tokens.issue('dashboard', 'ops');
    const dashboards = await Promise.all(nodes.map((n) => openDashboard(n.wsUrl, token)));
    const agents = await Promise.all(nodes.map(async (n, i) => connectRawAgent(n.wsUrl, await tokens.issue('agent', `agent-${i}`), `agent ${i}`)));
    for (let i = 0; i < 3; i++) await waitUntil(`dashboards see agent-${i}`, () => dashboards.every((d) => d.messages.some((m) => m.type === 'agent:status' && (m.payload.agent as { id: string; status: string }).id === `agent-${i}` && (m.payload.agent as { status: string }).status === 'online')));
    // Each agent gets a command from a dashboard on another node, and streams output at once.
    const commandIds = await Promise.all(agents.map(async (agent, i) => {
      dashboards[(i + 1) % 3]!.send('command:request', { agentId: `agent-${i}`, command: `stream ${i}`, priority: 'normal', requestId: `r${i}` });
      const id = (await agent.waitFor('command:execute')).payload.commandId as string;
      agent.send('command:started', { commandId: id, pid: 100 + i });
      return id;
    }));
    const CHUNKS = 60;
    for (let s = 1; s <= CHUNKS; s++) {
      agents.forEach((agent, i) => agent.send('terminal:output', { commandId: commandIds[i], sequence: s, stream: 'stdout', data: `agent ${i} line ${s}\n` }));
    }
    agents.forEach((agent, i) => agent.send('command:exit', { commandId: commandIds[i], exitCode: 0, signal: null, durationMs: 5, lastSequence: CHUNKS, outcome: 'exited' }));
    const finished = (d: (typeof dashboards)[number]) => commandIds.every((id) => d.messages.some((m) => m.type === 'command:status' && m.payload.commandId === id && m.payload.status === 'completed'));
    await waitUntil('every dashboard saw every command finish', () => dashboards.every(finished), 60_000);

    // Everything from the first event all three have seen on: the same events at the same offsets.
    const positioned = dashboards.map((d) => d.messages.filter((m) => m.position).map((m) => ({ offset: (m.position as Position).offset, type: m.type, payload: JSON.stringify(m.payload) })));
    const start = Math.max(...positioned.map((p) => p[0]!.offset));
    const end = Math.min(...positioned.map((p) => p.at(-1)!.offset));
    const slices = positioned.map((p) => p.filter((e) => e.offset >= start && e.offset <= end));
    for (const slice of slices) expect(slice.map((e) => e.offset)).toEqual(Array.from({ length: end - start + 1 }, (_, i) => start + i));
    expect(slices[1]).toEqual(slices[0]);
    expect(slices[2]).toEqual(slices[0]);
    expect(new Set(dashboards.map((d) => (d.messages.find((m) => m.position)!.position as Position).epoch)).size).toBe(1);
    // Every chunk of every command is in that history once.
    for (let i = 0; i < 3; i++) {
      const sequences = slices[0]!.filter((e) => e.type === 'terminal:output' && e.payload.includes(`"commandId":"${commandIds[i]}"`)).map((e) => (JSON.parse(e.payload) as { sequence: number }).sequence);
      expect(sequences).toEqual(Array.from({ length: CHUNKS }, (_, s) => s + 1));
    }
    for (const socket of [...dashboards, ...agents]) await socket[Symbol.asyncDispose]();
  }, 120_000);
});
