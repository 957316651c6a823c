import type {
  AgentListResponse, AuditListResponse, CommandListResponse, HistoryCommand, OutputPageResponse,
} from '@onsembl/protocol';
import { describe, expect, it } from 'vitest';
import { connectRawAgent } from '../support/raw-agent.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { openDashboard } from '../support/test-socket.js';
import { waitUntil } from '../support/wait-until.js';

const api = async (server: TestServer, path: string, token?: string) => {
  const res = await fetch(`${server.httpUrl}${path}`, token ? { headers: { Authorization: `Bearer ${token}` } } : {});
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
};
const json = async <T>(server: TestServer, path: string, token: string): Promise<T> => JSON.parse((await api(server, path, token)).body) as T;
type OneCommand = { command: HistoryCommand };

/** Runs one command on a raw agent, printing the given chunks, and finishing with the exit code. */
async function runOne(server: TestServer, command: string, chunks: string[], exitCode = 0) {
  const dashboard = await openDashboard(server.wsUrl, await server.dashboardToken('alice'));
  const agent = await connectRawAgent(server.wsUrl, await server.agentToken('hist'));
  dashboard.send('command:request', { agentId: 'hist', command, priority: 'normal' });
  const commandId = (await agent.waitFor('command:execute')).payload.commandId as string;
  agent.send('command:started', { commandId, pid: 1 });
  chunks.forEach((data, i) => agent.send('terminal:output', { commandId, sequence: i + 1, stream: 'stdout', data }));
  agent.send('command:exit', { commandId, exitCode, signal: null, durationMs: 7, lastSequence: chunks.length, outcome: 'exited' });
  await dashboard.waitFor('command:status', (p) => p.commandId === commandId && (p.status === 'completed' || p.status === 'failed'));
  await agent[Symbol.asyncDispose]();
  await dashboard[Symbol.asyncDispose]();
  return commandId;
}

describe('history REST API', () => {
  it('refuses requests without a valid dashboard Bearer token, and writes are not allowed', async () => {
    await using server = await startTestServer();
    expect((await api(server, '/api/commands')).status).toBe(401);
    expect((await api(server, '/api/commands', 'garbage')).status).toBe(401);
    expect((await api(server, '/api/commands', await server.agentToken())).status).toBe(401);
    const post = await fetch(`${server.httpUrl}/api/commands`, { method: 'POST', headers: { Authorization: `Bearer ${await server.dashboardToken()}` } });
    expect(post.status).toBe(405);
  });

  it('lists, filters, searches and opens commands, and returns their full output', async () => {
    await using server = await startTestServer();
    const token = await server.dashboardToken();
    const first = await runOne(server, 'npm test --watch', ['line one\n', 'line two é\n']);
    const second = await runOne(server, 'git status', ['clean\n'], 1);

    expect((await json<AgentListResponse>(server, '/api/agents', token)).agents).toEqual([expect.objectContaining({ id: 'hist', status: 'offline' })]);
    const all = (await json<CommandListResponse>(server, '/api/commands', token)).commands;
    expect(all.map((c) => c.id)).toEqual([second, first]);
    expect((await json<CommandListResponse>(server, '/api/commands?q=npm', token)).commands.map((c) => c.id)).toEqual([first]);
    expect((await json<CommandListResponse>(server, '/api/commands?status=failed', token)).commands.map((c) => c.id)).toEqual([second]);
    expect((await json<CommandListResponse>(server, '/api/commands?agentId=nobody', token)).commands).toEqual([]);
    expect((await api(server, '/api/commands?status=bogus', token)).status).toBe(400);
    expect((await api(server, '/api/commands?limit=0', token)).status).toBe(400);

    const one = (await json<OneCommand>(server, `/api/commands/${first}`, token)).command;
    expect(one).toMatchObject({ id: first, status: 'completed', exitCode: 0, durationMs: 7, requestedBy: 'alice', lastSequence: 2 });
    expect(one.history.map((h) => h.status)).toEqual(['queued', 'running', 'completed']);
    expect((await api(server, '/api/commands/cmd-missing', token)).status).toBe(404);

    const text = await api(server, `/api/commands/${first}/output`, token);
    expect(text.type).toContain('text/plain');
    expect(text.body).toBe('line one\nline two é\n');
    const page = await json<OutputPageResponse>(server, `/api/commands/${first}/output?after=1&format=json`, token);
    expect(page).toMatchObject({ commandId: first, lastSequence: 2, complete: true });
    expect(page.chunks.map((c) => [c.sequence, c.data])).toEqual([[2, 'line two é\n']]);
  });

  it('pages with an opaque cursor that never loses or repeats commands queued in the same millisecond', async () => {
    await using server = await startTestServer();
    const token = await server.dashboardToken();
    for (let i = 0; i < 7; i++) {
      await server.context.store.createCommand({
        id: `cmd-same-${i}`, agentId: 'a', command: `echo ${i}`, priority: 'normal', status: 'completed',
        requestedBy: 'u', queuedAt: 5_000, lastSequence: 0,
      });
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const page = await json<CommandListResponse>(server, `/api/commands?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, token);
      seen.push(...page.commands.map((c) => c.id));
      cursor = page.next;
      if (!cursor) break;
    }
    expect([...seen].sort()).toEqual(Array.from({ length: 7 }, (_, i) => `cmd-same-${i}`));
    expect(new Set(seen).size).toBe(7);
    expect((await api(server, '/api/commands?cursor=garbage', token)).status).toBe(400);
  });

  it('records who did what in the audit log', async () => {
    await using server = await startTestServer();
    const token = await server.dashboardToken('alice');
    await api(server, '/api/commands', 'bad-token');
    const commandId = await runOne(server, 'echo audited', ['x\n']);
    await using dashboard = await openDashboard(server.wsUrl, token);
    dashboard.send('emergency:stop', { reason: 'drill' });
    await dashboard.waitFor('emergency:stop');
    const entries = (await json<AuditListResponse>(server, '/api/audit?limit=100', token)).entries;
    const actions = entries.map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['auth.failed', 'dashboard.connected', 'agent.connected', 'command.requested', 'emergency.stop']));
    expect(entries.find((e) => e.action === 'command.requested')).toMatchObject({ actor: 'alice', target: commandId });
    expect((await json<AuditListResponse>(server, '/api/audit?action=auth.failed', token)).entries.every((e) => e.action === 'auth.failed')).toBe(true);
  });

  it('purges output, audit and replay events past their retention', async () => {
    await using server = await startTestServer({ outputRetentionMs: 1, auditRetentionMs: 1, eventRetentionMs: 1, purgeIntervalMs: 50 });
    const token = await server.dashboardToken();
    const commandId = await runOne(server, 'echo old', ['gone\n']);
    await waitUntil('the purge removed the output and all but the newest event', async () => {
      const { chunks } = await json<OutputPageResponse>(server, `/api/commands/${commandId}/output?format=json`, token);
      const { first, last } = await server.context.store.eventBounds();
      return chunks.length === 0 && first === last;
    });
    const output = await json<OutputPageResponse>(server, `/api/commands/${commandId}/output?format=json`, token);
    expect(output.chunks).toEqual([]);
    // The command itself is still known; only its output aged out.
    expect((await json<OneCommand>(server, `/api/commands/${commandId}`, token)).command.status).toBe('completed');
    const { first, last } = await server.context.store.eventBounds();
    expect(first).toBe(last);
  });
});
