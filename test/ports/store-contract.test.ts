import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteStore, type CommandRecord, type Store } from '@onsembl/server';
import { tempDir } from '../support/temp-dir.js';

/** Every Store implementation runs the same contract. PostgreSQL joins this list later. */
const IMPLEMENTATIONS: Array<[string, (dir: string) => Promise<Store>]> = [
  ['sqlite', async (dir) => new SqliteStore(join(dir, 'store.db'))],
];

const command = (id: string, over: Partial<CommandRecord> = {}): CommandRecord => ({
  id, agentId: 'agent-1', command: `echo ${id}`, priority: 'normal', status: 'queued', requestedBy: 'tester',
  queuedAt: Date.now(), lastSequence: 0, ...over,
});

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

  it('gets a new epoch when the previous process did not close it (positions may have been lost)', async () => {
    await using dir = await tempDir();
    const crashed = await open(dir.path);
    const reopened = await open(dir.path); // the first was never closed, as after SIGKILL
    expect(reopened.epoch).not.toBe(crashed.epoch);
    await reopened.close();
    const clean = await open(dir.path);
    expect(clean.epoch).toBe(reopened.epoch);
    await clean.close();
    await crashed.close();
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
    const cutoffs = { outputBefore: 5, auditBefore: 5, eventsBefore: 5 };

    expect(await store.purge(cutoffs, 3)).toEqual({ output: 3, audit: 3, events: 3 });
    expect((await store.readOutput('c1', 0)).map((c) => c.data)).toEqual(['o4', 'o5']);
    expect(await store.eventBounds()).toEqual({ first: 4, last: 5 });
    expect((await store.listAudit({})).map((a) => a.action)).toEqual(['a5', 'a4']);

    expect(await store.purge(cutoffs, 3)).toEqual({ output: 1, audit: 1, events: 1 });
    expect(await store.purge(cutoffs, 3)).toEqual({ output: 0, audit: 0, events: 0 });
    expect((await store.readOutput('c1', 0)).map((c) => c.data)).toEqual(['o5']);

    // Even when every event has expired, the newest stays: offsets go on from it after a restart.
    expect(await store.purge({ outputBefore: 0, auditBefore: 0, eventsBefore: 100 }, 3)).toEqual({ output: 0, audit: 0, events: 0 });
    expect(await store.eventBounds()).toEqual({ first: 5, last: 5 });
    await store.close();
  });
});
