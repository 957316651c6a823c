import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore, type CommandRecord, type CommandUsage, type Store, type TraceRecord } from '@onsembl/server';
import { PostgresStore } from '@onsembl/store-postgres';
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../support/postgres.js';
import { tempDir } from '../support/temp-dir.js';

const withPostgres = await postgresAvailable();
let database: TestDatabase | undefined;
beforeAll(async () => {
  if (withPostgres) database = await createTestDatabase();
}, 30_000);
afterAll(async () => {
  await database?.[Symbol.asyncDispose]();
});

/** One PostgreSQL schema per location, in the database this run made (dropped after the run). */
const schemaOf = (dir: string) => `contract_${createHash('sha256').update(dir).digest('hex').slice(0, 16)}`;

/**
 * Every Store implementation runs the same contract: `open(location)` opens the store kept at a
 * location (a directory for SQLite, a schema for PostgreSQL); opening it again reopens the same data.
 */
const IMPLEMENTATIONS: Array<[string, (dir: string) => Promise<Store>]> = [
  ['sqlite', async (dir) => new SqliteStore(join(dir, 'store.db'))],
  ...(withPostgres
    ? [['postgresql', (dir: string) => PostgresStore.open({ url: (database as TestDatabase).url, schema: schemaOf(dir), maxConnections: 3 })] as [string, (dir: string) => Promise<Store>]]
    : []),
];

const command = (id: string, over: Partial<CommandRecord> = {}): CommandRecord => ({
  id, agentId: 'agent-1', command: `echo ${id}`, priority: 'normal', status: 'queued', requestedBy: 'tester',
  queuedAt: Date.now(), lastSequence: 0, ...over,
});

/** A trace record; `usage` totals make it a usage event. */
const trace = (commandId: string, sequence: number, over: Partial<TraceRecord> = {}): TraceRecord => ({
  commandId, sequence, kind: 'message', event: JSON.stringify({ kind: 'message', at: sequence, text: `t${sequence}` }),
  createdAt: 1_000 + sequence, ...over,
});
const usage = (tokens: number, costUsd: number | null, costSource: CommandUsage['costSource'] = 'reported'): CommandUsage => ({
  inputTokens: tokens, outputTokens: tokens * 2, cacheReadTokens: tokens * 3, cacheWriteTokens: tokens * 4, costUsd, costSource,
});
const DAY = 86_400_000;

describe.each(IMPLEMENTATIONS)('Store contract: %s', (_name, open) => {
  it('keeps its epoch across reopen, and a new store gets a new one', async () => {
    await using dir = await tempDir();
    await using other = await tempDir();
    const a = await open(dir.path);
    const epoch = a.epoch;
    await a.close();
    const b = await open(dir.path);
    expect(b.epoch).toBe(epoch);
    await b.close();
    const c = await open(other.path);
    expect(c.epoch).not.toBe(epoch);
    await c.close();
  });

  it('numbers inserted events after every stored one, consecutively, and reads them back in order', async () => {
    await using dir = await tempDir();
    const store = await open(dir.path);
    expect(await store.eventBounds()).toEqual({ first: 0, last: 0 });
    expect(await store.insertEvents([{ createdAt: 1, text: 'a' }, { createdAt: 1, text: 'b' }])).toBe(1);
    expect(await store.insertEvents([{ createdAt: 2, text: 'c' }])).toBe(3);
    await store.appendOutput([{ commandId: 'c1', sequence: 1, stream: 'stdout', data: 'out', createdAt: 3 }]);
    expect(await store.insertEvents([{ createdAt: 3, text: '', output: { commandId: 'c1', agentId: 'x', sequence: 1, timestamp: 9 } }])).toBe(4);
    const events = await store.readEvents(0, 10);
    expect(events.map((e) => [e.offset, e.text])).toEqual([[1, 'a'], [2, 'b'], [3, 'c'], [4, '']]);
    expect(events[3]).toMatchObject({ output: { commandId: 'c1', sequence: 1, timestamp: 9 }, chunk: { data: 'out' } });
    expect(await store.eventBounds()).toEqual({ first: 1, last: 4 });
    await store.close();
    const reopened = await open(dir.path);
    expect(await reopened.insertEvents([{ createdAt: 4, text: 'd' }])).toBe(5);
    await reopened.close();
  });

  it('stores events in order, output events by reference to their chunk', async () => {
    await using dir = await tempDir();
    const store = await open(dir.path);
    await store.appendOutput([{ commandId: 'c1', sequence: 1, stream: 'stdout', data: 'hello', createdAt: 1 }]);
    await store.appendEvents([
      { offset: 1, createdAt: 1, text: '{"type":"agent:status"}' },
      { offset: 2, createdAt: 1, text: '', output: { commandId: 'c1', agentId: 'a', sequence: 1, timestamp: 7 } },
      { offset: 3, createdAt: 1, text: '', output: { commandId: 'c1', agentId: 'a', sequence: 2, timestamp: 8 } },
    ]);
    const events = await store.readEvents(0, 10);
    expect(events.map((e) => e.offset)).toEqual([1, 2, 3]);
    expect(events[0]).toMatchObject({ text: '{"type":"agent:status"}' });
    expect(events[1]).toMatchObject({ output: { commandId: 'c1', sequence: 1, timestamp: 7 }, chunk: { data: 'hello', stream: 'stdout' } });
    expect(events[2]?.chunk).toBeUndefined(); // its chunk is not (or no longer) stored
    expect(await store.readEvents(2, 10)).toHaveLength(1);
    expect(await store.eventBounds()).toEqual({ first: 1, last: 3 });
    await store.close();
  });

  it('upserts and lists agents', async () => {
    await using dir = await tempDir();
    const store = await open(dir.path);
    await store.upsertAgent({ id: 'a1', name: 'one', type: 'shell', lastSeenAt: 1 });
    await store.upsertAgent({ id: 'a1', name: 'renamed', type: 'shell', hostname: 'h', lastSeenAt: 2 });
    await store.upsertAgent({ id: 'a2', name: 'two', type: 'claude', lastSeenAt: 3 });
    expect(await store.listAgents()).toEqual([
      { id: 'a1', name: 'renamed', type: 'shell', hostname: 'h', version: undefined, lastSeenAt: 2 },
      { id: 'a2', name: 'two', type: 'claude', hostname: undefined, version: undefined, lastSeenAt: 3 },
    ]);
    await store.close();
  });

  it('creates, updates, gets and filters commands, with full-text search', async () => {
    await using dir = await tempDir();
    const store = await open(dir.path);
    await store.createCommand(command('c1', { command: 'npm test --watch', queuedAt: 1000 }));
    await store.createCommand(command('c2', { command: 'git status', queuedAt: 2000, agentId: 'agent-2' }));
    await store.createCommand(command('c3', { command: 'npm run build', queuedAt: 3000 }));
    await store.updateCommand('c1', { status: 'completed', exitCode: 0, durationMs: 12, finishedAt: 1500 });
    expect(await store.getCommand('c1')).toMatchObject({ status: 'completed', exitCode: 0, durationMs: 12, finishedAt: 1500 });
    expect(await store.getCommand('nope')).toBeUndefined();
    expect((await store.listCommands({})).map((c) => c.id)).toEqual(['c3', 'c2', 'c1']);
    expect((await store.listCommands({ agentId: 'agent-2' })).map((c) => c.id)).toEqual(['c2']);
    expect((await store.listCommands({ status: 'queued' })).map((c) => c.id)).toEqual(['c3', 'c2']);
    expect((await store.listCommands({ since: 1500, until: 2500 })).map((c) => c.id)).toEqual(['c2']);
    expect((await store.listCommands({ search: 'npm' })).map((c) => c.id)).toEqual(['c3', 'c1']);
    expect((await store.listCommands({ search: 'npm build' })).map((c) => c.id)).toEqual(['c3']);
    expect((await store.listCommands({ search: '" OR 1=1 --' })).map((c) => c.id)).toEqual([]);
    expect((await store.listUnfinishedCommands()).map((c) => c.id)).toEqual(['c2', 'c3']);
    // Keyset pages never lose or repeat commands queued in the same millisecond.
    for (const id of ['s1', 's2', 's3', 's4']) await store.createCommand(command(id, { queuedAt: 2000 }));
    const seen: string[] = [];
    let after: { queuedAt: number; id: string } | undefined;
    for (;;) {
      const page = await store.listCommands({ limit: 2, ...(after ? { after } : {}) });
      seen.push(...page.map((c) => c.id));
      const last = page.at(-1);
      if (page.length < 2 || !last) break;
      after = { queuedAt: last.queuedAt, id: last.id };
    }
    expect(seen).toEqual(['c3', 's4', 's3', 's2', 's1', 'c2', 'c1']);
    await store.close();
  });

  it('appends output in order, ignores a sequence stored twice, and reads after a sequence', async () => {
    await using dir = await tempDir();
    const store = await open(dir.path);
    const chunk = (sequence: number, data: string) => ({ commandId: 'c1', sequence, stream: 'stdout' as const, data, createdAt: sequence });
    await store.appendOutput([chunk(1, 'a'), chunk(2, 'b')]);
    await store.appendOutput([chunk(2, 'DUPLICATE'), chunk(3, 'c')]);
    expect((await store.readOutput('c1', 0)).map((c) => c.data).join('')).toBe('abc');
    expect((await store.readOutput('c1', 1)).map((c) => c.sequence)).toEqual([2, 3]);
    expect(await store.lastOutputSequence('c1')).toBe(3);
    expect(await store.lastOutputSequence('other')).toBe(0);
    await store.close();
  });

  it('purges oldest first, at most `limit` rows of each kind a call, and keeps the newest event', async () => {
    await using dir = await tempDir();
    const store = await open(dir.path);
    // Created at 1..5; everything before 5 has expired.
    await store.appendOutput([1, 2, 3, 4, 5].map((t) => ({ commandId: 'c1', sequence: t, stream: 'stdout' as const, data: `o${t}`, createdAt: t })));
    await store.appendEvents([1, 2, 3, 4, 5].map((t) => ({ offset: t, createdAt: t, text: `e${t}` })));
    await store.appendAudit([1, 2, 3, 4, 5].map((t) => ({ at: t, actor: 'x', role: 'dashboard' as const, action: `a${t}` })));
    // Trace records age with output (the same cutoff).
    await store.appendTrace([1, 2, 3, 4].map((t) => trace('c1', t, { kind: 'notice', createdAt: t })));
    const cutoffs = { outputBefore: 5, auditBefore: 5, eventsBefore: 5 };

    expect(await store.purge(cutoffs, 3)).toEqual({ output: 3, trace: 3, audit: 3, events: 3 });
    expect((await store.readOutput('c1', 0)).map((c) => c.data)).toEqual(['o4', 'o5']);
    expect((await store.readTrace('c1', 0, 10)).map((t) => t.sequence)).toEqual([4]);
    expect(await store.eventBounds()).toEqual({ first: 4, last: 5 });
    expect((await store.listAudit({})).map((a) => a.action)).toEqual(['a5', 'a4']);

    expect(await store.purge(cutoffs, 3)).toEqual({ output: 1, trace: 1, audit: 1, events: 1 });
    expect(await store.purge(cutoffs, 3)).toEqual({ output: 0, trace: 0, audit: 0, events: 0 });
    expect((await store.readOutput('c1', 0)).map((c) => c.data)).toEqual(['o5']);

    // Even when every event has expired, the newest stays: offsets go on from it after a restart.
    expect(await store.purge({ outputBefore: 0, auditBefore: 0, eventsBefore: 100 }, 3)).toEqual({ output: 0, trace: 0, audit: 0, events: 0 });
    expect(await store.eventBounds()).toEqual({ first: 5, last: 5 });
    await store.close();
  });

  it('stores trace records once per (command, sequence), reads them in order after a sequence', async () => {
    await using dir = await tempDir();
    const store = await open(dir.path);
    await store.createCommand(command('c1'));
    await store.appendTrace([trace('c1', 1), trace('c1', 2), trace('c2', 1, { kind: 'notice', event: '{"kind":"notice"}' })]);
    await store.appendTrace([trace('c1', 2, { event: '"DUPLICATE"' }), trace('c1', 3)]);
    const read = await store.readTrace('c1', 0, 100);
    expect(read).toEqual([trace('c1', 1), trace('c1', 2), trace('c1', 3)]);
    expect((await store.readTrace('c1', 1, 1)).map((t) => t.sequence)).toEqual([2]);
    expect(await store.readTrace('c2', 0, 100)).toEqual([trace('c2', 1, { kind: 'notice', event: '{"kind":"notice"}' })]);
    expect(await store.lastTraceSequence('c1')).toBe(3);
    expect(await store.lastTraceSequence('none')).toBe(0);
    await store.close();
  });

  it("sets a command's usage from its newest stored usage record, never from a duplicate", async () => {
    await using dir = await tempDir();
    const store = await open(dir.path);
    await store.createCommand(command('c1'));
    expect((await store.getCommand('c1'))?.usage).toBeUndefined();
    await store.appendTrace([trace('c1', 1, { kind: 'usage', usage: usage(10, 0.5) }), trace('c1', 2)]);
    expect((await store.getCommand('c1'))?.usage).toEqual(usage(10, 0.5));
    await store.appendTrace([
      trace('c1', 3, { kind: 'usage', usage: { ...usage(20, null, 'estimated'), model: 'gemini-2.5-pro' } }),
      trace('c1', 4, { kind: 'usage', usage: usage(30, 1.25, 'estimated') }),
    ]);
    expect((await store.getCommand('c1'))?.usage).toEqual(usage(30, 1.25, 'estimated'));
    // A resent older usage record is already stored: it changes nothing.
    await store.appendTrace([trace('c1', 3, { kind: 'usage', usage: usage(99, 9) })]);
    expect((await store.getCommand('c1'))?.usage).toEqual(usage(30, 1.25, 'estimated'));
    await store.appendTrace([trace('c1', 5, { kind: 'usage', usage: { ...usage(40, null, 'estimated'), model: 'm-1' } })]);
    expect((await store.getCommand('c1'))?.usage).toEqual({ ...usage(40, null, 'estimated'), model: 'm-1' });
    // Trace records read back without the usage they carried (it lives on the command).
    expect((await store.readTrace('c1', 4, 1))[0]).not.toHaveProperty('usage');
    await store.close();
  });

  it("keeps an AI run's budgets, sessions, stop reason and last trace sequence on its command", async () => {
    await using dir = await tempDir();
    const store = await open(dir.path);
    await store.createCommand(command('ai', { maxTokens: 5000, maxCostUsd: 0.75, newSession: true }));
    await store.createCommand(command('ai2', { resumeSessionId: 'sess-1', newSession: false }));
    await store.createCommand(command('plain'));
    expect(await store.getCommand('ai')).toMatchObject({ maxTokens: 5000, maxCostUsd: 0.75, newSession: true });
    expect(await store.getCommand('ai2')).toMatchObject({ resumeSessionId: 'sess-1', newSession: false });
    await store.updateCommand('ai', { status: 'running', resumeSessionId: 'sess-0' });
    await store.updateCommand('ai', {
      status: 'failed', sessionId: 'sess-2', stopReason: 'budget_tokens', lastTraceSequence: 17, lastSequence: 3,
    });
    expect(await store.getCommand('ai')).toMatchObject({
      status: 'failed', maxTokens: 5000, maxCostUsd: 0.75, newSession: true, resumeSessionId: 'sess-0',
      sessionId: 'sess-2', stopReason: 'budget_tokens', lastTraceSequence: 17, lastSequence: 3,
    });
    // A command that is not an AI run reads back without any of those fields.
    const plain = await store.getCommand('plain');
    for (const field of ['maxTokens', 'maxCostUsd', 'newSession', 'resumeSessionId', 'sessionId', 'stopReason', 'usage']) {
      expect(plain?.[field as keyof CommandRecord], field).toBeUndefined();
    }
    expect(plain?.lastTraceSequence ?? 0).toBe(0);
    await store.close();
  });

  it("keeps an agent's session, cwd and model; an upsert replaces them", async () => {
    await using dir = await tempDir();
    const store = await open(dir.path);
    await store.upsertAgent({ id: 'a1', name: 'one', type: 'claude', lastSeenAt: 1, sessionId: 's-1', cwd: '/w', model: 'claude-x' });
    expect(await store.listAgents()).toEqual([
      { id: 'a1', name: 'one', type: 'claude', lastSeenAt: 1, sessionId: 's-1', cwd: '/w', model: 'claude-x' },
    ]);
    await store.upsertAgent({ id: 'a1', name: 'one', type: 'claude', lastSeenAt: 2, sessionId: 's-2' });
    const [agent] = await store.listAgents();
    expect(agent).toMatchObject({ sessionId: 's-2', lastSeenAt: 2 });
    expect(agent?.cwd).toBeUndefined();
    expect(agent?.model).toBeUndefined();
    await store.close();
  });

  it('stores trace events of the event log by reference to their record', async () => {
    await using dir = await tempDir();
    const store = await open(dir.path);
    await store.appendTrace([trace('c1', 1)]);
    await store.appendOutput([{ commandId: 'c1', sequence: 1, stream: 'stdout', data: 'out', createdAt: 1 }]);
    await store.appendEvents([
      { offset: 1, createdAt: 1, text: '', trace: { commandId: 'c1', agentId: 'a', sequence: 1, timestamp: 7 } },
      { offset: 2, createdAt: 1, text: '', output: { commandId: 'c1', agentId: 'a', sequence: 1, timestamp: 8 } },
      { offset: 3, createdAt: 1, text: '', trace: { commandId: 'c1', agentId: 'a', sequence: 2, timestamp: 9 } },
    ]);
    const [first, second, third] = await store.readEvents(0, 10);
    expect(first).toMatchObject({ offset: 1, trace: { commandId: 'c1', agentId: 'a', sequence: 1, timestamp: 7 }, traceEvent: trace('c1', 1).event });
    expect(first?.output).toBeUndefined();
    expect(first?.chunk).toBeUndefined();
    // Output sequence 1 and trace sequence 1 of the same command are different things.
    expect(second).toMatchObject({ offset: 2, output: { sequence: 1 }, chunk: { data: 'out' } });
    expect(second?.trace).toBeUndefined();
    expect(second?.traceEvent).toBeUndefined();
    expect(third).toMatchObject({ offset: 3, trace: { sequence: 2 } });
    expect(third?.traceEvent).toBeUndefined(); // its record is not (or no longer) stored
    await store.close();
  });

  it('sums usage per agent and per UTC day of queuedAt, with the estimated share, and lists commands with usage', async () => {
    await using dir = await tempDir();
    const store = await open(dir.path);
    const day0 = 20_000 * DAY;
    const runs: Array<[string, string, number, CommandUsage | undefined]> = [
      ['u1', 'agent-a', day0 + 10, usage(100, 1.0)],
      ['u2', 'agent-a', day0 + DAY - 1, usage(10, 0.25, 'estimated')],
      ['u3', 'agent-b', day0 + DAY, usage(1, null, 'estimated')],
      ['u4', 'agent-b', day0 + 2 * DAY + 5, usage(1000, 2.5)],
      ['plain', 'agent-a', day0 + 20, undefined],
    ];
    for (const [id, agentId, queuedAt, u] of runs) {
      await store.createCommand(command(id, { agentId, queuedAt }));
      if (u) await store.appendTrace([trace(id, 1, { kind: 'usage', usage: u })]);
    }
    const summary = await store.usageSummary({});
    expect(summary.total).toEqual({
      commands: 4, inputTokens: 1111, outputTokens: 2222, cacheReadTokens: 3333, cacheWriteTokens: 4444,
      costUsd: 3.75, estimatedCostUsd: 0.25, unpricedCommands: 1,
    });
    expect(summary.byAgent).toEqual([
      { agentId: 'agent-a', commands: 2, inputTokens: 110, outputTokens: 220, cacheReadTokens: 330, cacheWriteTokens: 440, costUsd: 1.25, estimatedCostUsd: 0.25, unpricedCommands: 0 },
      { agentId: 'agent-b', commands: 2, inputTokens: 1001, outputTokens: 2002, cacheReadTokens: 3003, cacheWriteTokens: 4004, costUsd: 2.5, estimatedCostUsd: 0, unpricedCommands: 1 },
    ]);
    expect(summary.byDay.map((d) => [d.dayStart, d.commands, d.inputTokens, d.costUsd])).toEqual([
      [day0, 2, 110, 1.25], [day0 + DAY, 1, 1, 0], [day0 + 2 * DAY, 1, 1000, 2.5],
    ]);
    const filtered = await store.usageSummary({ agentId: 'agent-a', since: day0 + 11 });
    expect(filtered.total).toMatchObject({ commands: 1, inputTokens: 10, costUsd: 0.25, estimatedCostUsd: 0.25 });
    expect((await store.usageSummary({ until: day0 + DAY - 1 })).byDay.map((d) => d.dayStart)).toEqual([day0]);
    const none = await store.usageSummary({ agentId: 'nobody' });
    expect(none).toEqual({
      total: { commands: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0, estimatedCostUsd: 0, unpricedCommands: 0 },
      byAgent: [], byDay: [],
    });
    const listed = await store.listCommands({ withUsage: true });
    expect(listed.map((c) => c.id)).toEqual(['u4', 'u3', 'u2', 'u1']);
    expect(listed[0]?.usage).toEqual(usage(1000, 2.5));
    expect((await store.listCommands({ withUsage: true, agentId: 'agent-b', limit: 1 })).map((c) => c.id)).toEqual(['u4']);
    await store.close();
  });
});
