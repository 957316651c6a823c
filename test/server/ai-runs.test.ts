import { describe, expect, it } from 'vitest';
import { Value } from '@sinclair/typebox/value';
import { HistoryCommand, UsageResponse, type TraceEvent } from '@onsembl/protocol';
import { connectRawAgentAs } from '../support/raw-agent.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { openDashboard, type TestSocket } from '../support/test-socket.js';
import { finalStatus, sendExit, sendTrace, startRun, totalsOf, trace } from '../support/trace-events.js';

const get = async (server: TestServer, path: string, token?: string) => {
  const res = await fetch(`${server.httpUrl}${path}`, { headers: { Authorization: `Bearer ${token ?? (await server.dashboardToken())}` } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

/** Runs one command to completion: the events as its trace, then its exit. */
async function run(dashboard: TestSocket, agent: TestSocket, agentId: string, events: TraceEvent[], exit: Record<string, unknown> = {}, request: Record<string, unknown> = {}) {
  const { commandId, execute } = await startRun(dashboard, agent, agentId, request);
  sendTrace(agent, commandId, events);
  sendExit(agent, commandId, { lastTraceSequence: events.length, ...exit });
  const status = await finalStatus(dashboard, commandId);
  await agent.waitFor('command:ack', (p) => p.commandId === commandId);
  return { commandId, execute, status: status.payload };
}

describe('sessions and budgets of AI runs', () => {
  it('continues the agent session unless the request asks for a new one or names its own, and passes budgets through', async () => {
    await using server = await startTestServer({ commandsPerMinute: 1000 });
    await using dashboard = await openDashboard(server.wsUrl, await server.dashboardToken());
    const agentToken = await server.agentToken('ai');
    const agent = await connectRawAgentAs(server.wsUrl, agentToken, 'ai', { type: 'claude' });

    // No session yet: the first prompt starts one.
    const first = await run(dashboard, agent, 'ai', [trace.session('s-1'), trace.message('hello')], { sessionId: 's-1' });
    expect(first.execute).not.toHaveProperty('resumeSessionId');
    expect(first.status).toMatchObject({ sessionId: 's-1' });
    // The next continues it, with the budgets asked for.
    const second = await run(dashboard, agent, 'ai', [trace.session('s-1', { resumed: true })], {}, { maxTokens: 5000, maxCostUsd: 0.25 });
    expect(second.execute).toMatchObject({ resumeSessionId: 's-1', maxTokens: 5000, maxCostUsd: 0.25 });
    // The run's exit names the session it ended in (a CLI may fork one): that one is continued next.
    await run(dashboard, agent, 'ai', [], { sessionId: 's-2' });
    const forked = await run(dashboard, agent, 'ai', []);
    expect(forked.execute).toMatchObject({ resumeSessionId: 's-2' });
    expect(forked.execute).not.toHaveProperty('maxTokens');
    // A new session on request; then that session is the agent's.
    const fresh = await run(dashboard, agent, 'ai', [trace.session('s-3')], {}, { newSession: true });
    expect(fresh.execute).not.toHaveProperty('resumeSessionId');
    expect((await startRun(dashboard, agent, 'ai', { sessionId: 's-old' })).execute).toMatchObject({ resumeSessionId: 's-old' });
    const pinned = agent.messages.filter((m) => m.type === 'command:execute').at(-1)?.payload.commandId as string;
    sendTrace(agent, pinned, [trace.session('s-old', { resumed: true })]);
    sendExit(agent, pinned, { lastTraceSequence: 1, sessionId: 's-old' });
    await finalStatus(dashboard, pinned);

    // The command rows keep what was asked and what was used.
    const { command } = (await get(server, `/api/commands/${second.commandId}`)).body as { command: Record<string, unknown> };
    expect(command).toMatchObject({ resumeSessionId: 's-1', sessionId: 's-1', maxTokens: 5000, maxCostUsd: 0.25 });
    expect(Value.Errors(HistoryCommand, command).First()).toBeUndefined();
    expect(((await get(server, `/api/commands/${fresh.commandId}`)).body.command as Record<string, unknown>)).toMatchObject({ newSession: true, sessionId: 's-3' });
    expect(((await get(server, '/api/agents')).body.agents as unknown[])).toEqual([expect.objectContaining({ id: 'ai', sessionId: 's-old' })]);

    // An agent that says which session it holds when it connects is believed.
    await agent[Symbol.asyncDispose]();
    await using again = await connectRawAgentAs(server.wsUrl, agentToken, 'ai', { type: 'claude', sessionId: 's-9', model: 'claude-opus-4-5' });
    await dashboard.waitFor('agent:status', (p) => (p.agent as { sessionId?: string }).sessionId === 's-9');
    expect((await startRun(dashboard, again, 'ai')).execute).toMatchObject({ resumeSessionId: 's-9' });
  });

  it('forgets the session when the agent comes back as another CLI, and refuses contradictory or invalid requests', async () => {
    await using server = await startTestServer({ commandsPerMinute: 1000 });
    await using dashboard = await openDashboard(server.wsUrl, await server.dashboardToken());
    const agentToken = await server.agentToken('switch');
    const claude = await connectRawAgentAs(server.wsUrl, agentToken, 'switch', { type: 'claude', sessionId: 'claude-session' });
    await dashboard.waitFor('agent:status', (p) => (p.agent as { sessionId?: string }).sessionId === 'claude-session');
    await claude[Symbol.asyncDispose]();
    await dashboard.waitFor('agent:status', (p) => (p.agent as { status: string }).status === 'offline');
    await using gemini = await connectRawAgentAs(server.wsUrl, agentToken, 'switch', { type: 'gemini' });
    const online = await dashboard.waitFor('agent:status', (p) => (p.agent as { type: string; status: string }).type === 'gemini');
    expect(online.payload.agent).not.toHaveProperty('sessionId');
    expect((await startRun(dashboard, gemini, 'switch')).execute).not.toHaveProperty('resumeSessionId');

    const refused = async (extra: Record<string, unknown>, requestId: string) => {
      dashboard.send('command:request', { agentId: 'switch', command: 'x', priority: 'normal', requestId, ...extra });
      return (await dashboard.waitFor('error', (p) => p.requestId === requestId)).payload;
    };
    expect(await refused({ newSession: true, sessionId: 's' }, 'both')).toMatchObject({ code: 'INVALID_MESSAGE', message: expect.stringContaining('newSession') });
    expect(await refused({ maxTokens: 0 }, 'zero-tokens')).toMatchObject({ code: 'INVALID_MESSAGE', message: expect.stringContaining('maxTokens') });
    expect(await refused({ maxCostUsd: -1 }, 'negative-cost')).toMatchObject({ code: 'INVALID_MESSAGE', message: expect.stringContaining('maxCostUsd') });
    expect(await refused({ maxTokens: 1.5 }, 'fractional')).toMatchObject({ code: 'INVALID_MESSAGE' });
    expect(await refused({ sessionId: 'has spaces' }, 'bad-session')).toMatchObject({ code: 'INVALID_MESSAGE' });
    expect(dashboard.messages.filter((m) => m.type === 'command:status' && ['both', 'zero-tokens'].includes(m.payload.requestId as string))).toEqual([]);
  });
});

describe('usage totals', () => {
  it('sums the last usage event of each command per command, per agent and per UTC day, with the estimated share', async () => {
    await using server = await startTestServer({ commandsPerMinute: 1000 });
    await using dashboard = await openDashboard(server.wsUrl, await server.dashboardToken());
    await using claude = await connectRawAgentAs(server.wsUrl, await server.agentToken('ua'), 'ua', { type: 'claude' });
    await using gemini = await connectRawAgentAs(server.wsUrl, await server.agentToken('ub'), 'ub', { type: 'gemini' });
    const runs: Array<{ agent: TestSocket; agentId: string; events: TraceEvent[] }> = [
      // Running totals: only the last usage event counts.
      { agent: claude, agentId: 'ua', events: [trace.session('sa'), trace.usage(100, 10, 0.5), trace.message('more'), trace.usage(300, 30, 1.25)] },
      { agent: claude, agentId: 'ua', events: [trace.usage(50, 5, 0.125)] },
      { agent: gemini, agentId: 'ub', events: [trace.session('sb', { model: 'gemini-2.5-pro' }), trace.usage(1000, 100, 0.0625, 'estimated', 'gemini-2.5-pro')] },
      { agent: gemini, agentId: 'ub', events: [trace.usage(7, 7, null, 'estimated', 'gemini-mock')] },
      { agent: claude, agentId: 'ua', events: [trace.message('no usage reported')] },
    ];
    const done: Array<{ commandId: string; agentId: string; events: TraceEvent[]; status: Record<string, unknown> }> = [];
    for (const r of runs) done.push({ ...r, ...(await run(dashboard, r.agent, r.agentId, r.events)) });
    for (const d of done) expect(d.status.usage).toEqual(totalsOf(d.events));

    const withUsage = done.filter((d) => totalsOf(d.events) !== undefined);
    const sum = (list: typeof done) => {
      const t = list.map((d) => totalsOf(d.events)!);
      const add = (f: (u: NonNullable<ReturnType<typeof totalsOf>>) => number) => t.reduce((a, u) => a + f(u), 0);
      return {
        commands: t.length, inputTokens: add((u) => u.inputTokens), outputTokens: add((u) => u.outputTokens),
        cacheReadTokens: add((u) => u.cacheReadTokens), cacheWriteTokens: add((u) => u.cacheWriteTokens),
        costUsd: add((u) => u.costUsd ?? 0), estimatedCostUsd: add((u) => (u.costSource === 'estimated' ? u.costUsd ?? 0 : 0)),
        unpricedCommands: t.filter((u) => u.costUsd === null).length,
      };
    };
    const usage = (await get(server, '/api/usage')).body as UsageResponse;
    expect(Value.Errors(UsageResponse, usage).First()).toBeUndefined(); // the published response schema
    expect(usage.total).toEqual(sum(withUsage));
    expect(usage.total).toMatchObject({ commands: 4, inputTokens: 1357, costUsd: 1.4375, estimatedCostUsd: 0.0625, unpricedCommands: 1 });
    expect(usage.byAgent).toEqual([
      { agentId: 'ua', ...sum(withUsage.filter((d) => d.agentId === 'ua')) },
      { agentId: 'ub', ...sum(withUsage.filter((d) => d.agentId === 'ub')) },
    ]);
    // Per UTC day of when each command was queued.
    const queuedAt = new Map<string, number>();
    for (const d of withUsage) {
      const { command } = (await get(server, `/api/commands/${d.commandId}`)).body as { command: { queuedAt: number } };
      queuedAt.set(d.commandId, command.queuedAt);
    }
    const days = [...new Set(withUsage.map((d) => new Date(queuedAt.get(d.commandId)!).toISOString().slice(0, 10)))].sort();
    expect(usage.byDay).toEqual(days.map((day) => ({
      day, ...sum(withUsage.filter((d) => new Date(queuedAt.get(d.commandId)!).toISOString().slice(0, 10) === day)),
    })));
    // Per command, newest first, with its session and model.
    expect(usage.byCommand).toEqual([...withUsage].reverse().map((d): unknown => expect.objectContaining({
      commandId: d.commandId, agentId: d.agentId, queuedAt: queuedAt.get(d.commandId), ...totalsOf(d.events),
    })));
    expect(usage.byCommand[1]).toMatchObject({ sessionId: 'sb', model: 'gemini-2.5-pro' });
    expect(usage.byCommand[0]).toMatchObject({ model: 'gemini-mock' });

    // Filters: by agent and by time; byCommand paged with a cursor.
    const ub = (await get(server, '/api/usage?agentId=ub')).body as UsageResponse;
    expect(ub.total).toEqual(sum(withUsage.filter((d) => d.agentId === 'ub')));
    expect(ub.byAgent.map((a) => a.agentId)).toEqual(['ub']);
    const third = withUsage[2]!;
    const since = queuedAt.get(third.commandId)!;
    const later = (await get(server, `/api/usage?since=${since}`)).body as UsageResponse;
    expect(later).toMatchObject({ since, total: sum(withUsage.slice(2)) });
    const earlier = (await get(server, `/api/usage?until=${since - 1}`)).body as UsageResponse;
    expect(earlier.total).toEqual(sum(withUsage.slice(0, 2)));
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const body = (await get(server, `/api/usage?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)).body as UsageResponse;
      expect(body.total).toEqual(sum(withUsage)); // totals never depend on the page
      seen.push(...body.byCommand.map((c) => c.commandId));
      cursor = body.next;
      if (!cursor) break;
    }
    expect(seen).toEqual([...withUsage].reverse().map((d) => d.commandId));

    expect((await get(server, '/api/usage?since=yesterday')).status).toBe(400);
    expect((await get(server, '/api/usage?since=10&until=5')).status).toBe(400);
    expect((await get(server, '/api/usage?limit=0')).status).toBe(400);
    expect((await get(server, '/api/usage?agentId=no%20such')).status).toBe(400);
    expect((await get(server, '/api/usage', 'not-a-token')).status).toBe(401);
    expect((await get(server, '/api/usage', await server.agentToken('ua'))).status).toBe(401);
  });

  it("counts a running command's usage so far", async () => {
    await using server = await startTestServer();
    await using dashboard = await openDashboard(server.wsUrl, await server.dashboardToken());
    await using agent = await connectRawAgentAs(server.wsUrl, await server.agentToken('live'), 'live', { type: 'codex' });
    const { commandId } = await startRun(dashboard, agent, 'live');
    sendTrace(agent, commandId, [trace.usage(10, 1, null, 'estimated', 'gpt-5-codex'), trace.usage(20, 2, 0.001, 'estimated', 'gpt-5-codex')]);
    await dashboard.waitFor('trace:event', (p) => p.sequence === 2);
    const usage = (await get(server, '/api/usage')).body as UsageResponse;
    expect(usage.total).toMatchObject({ commands: 1, inputTokens: 20, outputTokens: 2, costUsd: 0.001, estimatedCostUsd: 0.001 });
    expect(usage.byCommand).toEqual([expect.objectContaining({ commandId, model: 'gpt-5-codex' })]);
    expect(usage.byCommand[0]).not.toHaveProperty('finishedAt');
    const { command } = (await get(server, `/api/commands/${commandId}`)).body as { command: Record<string, unknown> };
    expect(command).toMatchObject({ status: 'running', lastTraceSequence: 2, usage: { inputTokens: 20, costUsd: 0.001 } });
  });
});
