import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Limits } from '@onsembl/protocol';
import type { AgentRecord, CommandRecord } from '@onsembl/server';
import { PostgresStore } from '@onsembl/store-postgres';
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../support/postgres.js';
import { waitUntil } from '../support/wait-until.js';

// The Coordination port (what several nodes agree on). PostgreSQL is its one implementation.
const withPostgres = await postgresAvailable();
let database: TestDatabase;
beforeAll(async () => {
  if (withPostgres) database = await createTestDatabase();
}, 30_000);
afterAll(async () => {
  if (withPostgres) await database[Symbol.asyncDispose]();
});

let schemas = 0;
const open = () => PostgresStore.open({ url: database.url, schema: `coord_${process.pid}_${++schemas}`, maxConnections: 3 });
const agent = (id: string): AgentRecord => ({ id, name: id, type: 'shell', lastSeenAt: 1 });
const command = (id: string, over: Partial<CommandRecord> = {}): CommandRecord => ({
  id, agentId: 'a1', command: `echo ${id}`, priority: 'normal', status: 'queued', requestedBy: 't', queuedAt: 1, lastSequence: 0, ...over,
});

describe.skipIf(!withPostgres)('Coordination (PostgreSQL)', () => {
  it('a claim by another node moves the generation on; only the current owner may release', async () => {
    const store = await open();
    const c = store.coordination;
    expect(await c.claimAgent(agent('a1'), 'node-a', 10)).toEqual({ generation: 1, previousNode: undefined });
    expect(await c.claimAgent(agent('a1'), 'node-b', 20)).toEqual({ generation: 2, previousNode: 'node-a' });
    expect(await c.releaseAgent({ agentId: 'a1', generation: 1 }, 30)).toBe(false);
    expect((await c.listPresence())[0]).toMatchObject({ id: 'a1', ownerNode: 'node-b', connectedAt: 20, generation: 2 });
    expect(await c.releaseAgent({ agentId: 'a1', generation: 2 }, 40)).toBe(true);
    expect((await c.listPresence())[0]).toMatchObject({ ownerNode: undefined, connectedAt: undefined, lastSeenAt: 40 });
    // A reconnect to the node that last held it keeps the fence; any other node moves it on.
    expect(await c.claimAgent(agent('a1'), 'node-b', 50)).toEqual({ generation: 2, previousNode: undefined });
    expect(await c.claimAgent(agent('a1'), 'node-a', 60)).toEqual({ generation: 3, previousNode: 'node-b' });
    await store.close();
  });

  it("drops an old owner's events and their command updates in the same transaction, and numbers the rest densely", async () => {
    const store = await open();
    const c = store.coordination;
    await store.createCommand(command('c1'));
    await c.claimAgent(agent('a1'), 'node-a', 1);
    await c.claimAgent(agent('a1'), 'node-b', 2); // node-a's generation 1 is now stale
    const offsets = await c.commitEvents([
      { createdAt: 1, text: 'from the old owner', fence: { agentId: 'a1', generation: 1 }, update: { commandId: 'c1', patch: { status: 'completed', exitCode: 0 } } },
      { createdAt: 1, text: 'nobody owns this one' },
      { createdAt: 1, text: 'from the new owner', fence: { agentId: 'a1', generation: 2 }, update: { commandId: 'c1', patch: { status: 'running', startedAt: 5 } } },
    ]);
    expect(offsets).toEqual([undefined, 1, 2]);
    expect((await store.readEvents(0, 10)).map((e) => e.text)).toEqual(['nobody owns this one', 'from the new owner']);
    expect(await store.getCommand('c1')).toMatchObject({ status: 'running', startedAt: 5 });
    expect(await c.commitEvents([{ createdAt: 2, text: 'next', fence: { agentId: 'a1', generation: 2 } }])).toEqual([3]);
    await store.close();
  });

  it("tells how far a command's output and trace reached dashboards", async () => {
    const store = await open();
    const c = store.coordination;
    expect(await c.lastEventSequences('c1')).toEqual({ output: 0, trace: 0 });
    const ref = (sequence: number) => ({ commandId: 'c1', agentId: 'a1', sequence, timestamp: 1 });
    await c.commitEvents([
      { createdAt: 1, text: '', output: ref(1) }, { createdAt: 1, text: '', output: ref(2) }, { createdAt: 1, text: '', trace: ref(1) },
      { createdAt: 1, text: '', output: { ...ref(9), commandId: 'other' } },
    ]);
    expect(await c.lastEventSequences('c1')).toEqual({ output: 2, trace: 1 });
    await store.close();
  });

  it('sends a queued command once, only under the current fence; cancels only what was not sent; interrupts what was', async () => {
    const store = await open();
    const c = store.coordination;
    const { generation } = await c.claimAgent(agent('a1'), 'node-a', 1);
    for (const [id, priority] of [['q1', 'low'], ['q2', 'high'], ['q3', 'normal'], ['q4', 'high']] as const) await store.createCommand(command(id, { priority }));
    expect((await c.unfinishedCommands(['a1'])).map((x) => x.id)).toEqual(['q2', 'q4', 'q3', 'q1']);
    expect(await c.dispatchCommand('q2', { agentId: 'a1', generation: generation - 1 })).toBe(false);
    expect(await c.dispatchCommand('q2', { agentId: 'a1', generation })).toBe(true);
    expect(await c.dispatchCommand('q2', { agentId: 'a1', generation })).toBe(false); // sent already
    const cancelled = await c.cancelQueued(['q2', 'q3'], { status: 'cancelled', message: 'by a test', finishedAt: 9 });
    expect(cancelled.map((x) => [x.id, x.status])).toEqual([['q3', 'cancelled']]);
    expect((await c.requestInterrupt('all', 'emergency')).map((x) => x.id)).toEqual(['q2']);
    const unfinished = await c.unfinishedCommands(['a1']);
    expect(unfinished.map((x) => [x.id, x.dispatched, x.interruptRequested])).toEqual([['q2', true, 'emergency'], ['q4', false, undefined], ['q1', false, undefined]]);
    expect((await c.cancelQueued('all', { status: 'cancelled', finishedAt: 10 })).map((x) => x.id).sort()).toEqual(['q1', 'q4']);
    await store.close();
  });

  it('an approval is stored once with the question event, decided once with the decision event: the first of two nodes wins', async () => {
    const store = await open();
    // A second node: its own pool on the same schema.
    const other = await PostgresStore.open({ url: database.url, schema: `coord_${process.pid}_${schemas}`, maxConnections: 3 });
    const c = store.coordination;
    const { generation } = await c.claimAgent(agent('a1'), 'node-a', 1);
    const fence = { agentId: 'a1', generation };
    const question = (approvalId: string, requestedAt: number) => ({
      approvalId, commandId: 'c1', agentId: 'a1', tool: 'Bash', input: { command: 'touch x' }, requestedAt, deadlineAt: requestedAt + 1_000,
    });
    const decided = (approvalId: string, decidedBy: string, decision: 'allow' | 'deny') => ({
      approvalId, commandId: 'c1', agentId: 'a1', tool: 'Bash', decision, reason: 'answered' as const, decidedBy, decidedAt: 50,
    });
    const audit = (target: string, actor: string) => ({ at: 1, actor, role: 'dashboard' as const, action: 'approval.test', target });
    expect(await c.approval('ap-1')).toBeUndefined();
    expect(await c.commitEvents([
      { createdAt: 1, text: 'asked 1', fence, approval: { kind: 'ask', question: question('ap-1', 10), audit: audit('ap-1', 'agent') } },
      { createdAt: 1, text: 'asked 2', fence, approval: { kind: 'ask', question: question('ap-2', 20), audit: audit('ap-2', 'agent') } },
    ])).toEqual([1, 2]);
    // Asked again (after a reconnect, on another node): the first question stands, with its deadline.
    expect(await other.coordination.commitEvents([{ createdAt: 2, text: 'asked 1 again', approval: { kind: 'ask', question: question('ap-1', 30), audit: audit('ap-1', 'agent') } }])).toEqual([undefined]);
    expect(await c.approval('ap-1')).toEqual({ question: question('ap-1', 10), decided: undefined });
    expect((await other.coordination.waitingApprovals()).map((q) => q.approvalId)).toEqual(['ap-1', 'ap-2']);
    // An ask under a fence that no longer holds is dropped with its event.
    expect(await c.commitEvents([{ createdAt: 2, text: 'stale', fence: { agentId: 'a1', generation: generation - 1 }, approval: { kind: 'ask', question: question('ap-3', 40), audit: audit('ap-3', 'agent') } }])).toEqual([undefined]);
    expect(await c.approval('ap-3')).toBeUndefined();

    // Two nodes answer at once, ten times over: one decision and one event each time.
    for (let i = 0; i < 10; i++) {
      const id = `race-${i}`;
      await c.commitEvents([{ createdAt: 3, text: `asked ${id}`, approval: { kind: 'ask', question: question(id, 100 + i), audit: audit(id, 'agent') } }]);
      const [mine, theirs] = await Promise.all([
        c.commitEvents([{ createdAt: 4, text: `alice ${id}`, approval: { kind: 'decide', decided: decided(id, 'alice', 'allow'), audit: audit(id, 'alice') } }]),
        other.coordination.commitEvents([{ createdAt: 4, text: `bob ${id}`, approval: { kind: 'decide', decided: decided(id, 'bob', 'deny'), audit: audit(id, 'bob') } }]),
      ]);
      const winners = [mine[0], theirs[0]].filter((o) => o !== undefined);
      expect(winners).toHaveLength(1);
      const stored = await other.coordination.approval(id);
      expect(stored?.decided?.decidedBy).toBe(mine[0] === undefined ? 'bob' : 'alice');
    }
    // A decision in the same batch as a second one for the same question: only the first holds.
    expect(await c.commitEvents([
      { createdAt: 5, text: 'deny ap-2', approval: { kind: 'decide', decided: decided('ap-2', 'onsembl', 'deny'), audit: audit('ap-2', 'onsembl') } },
      { createdAt: 5, text: 'allow ap-2', approval: { kind: 'decide', decided: decided('ap-2', 'carol', 'allow'), audit: audit('ap-2', 'carol') } },
      { createdAt: 5, text: 'unknown', approval: { kind: 'decide', decided: decided('ap-9', 'carol', 'allow'), audit: audit('ap-9', 'carol') } },
    ])).toEqual([expect.any(Number), undefined, undefined]);
    expect((await c.approval('ap-2'))?.decided).toMatchObject({ decidedBy: 'onsembl', decision: 'deny' });
    expect((await c.waitingApprovals()).map((q) => q.approvalId)).toEqual(['ap-1']);
    const texts = (await store.readEvents(0, 100)).map((e) => e.text);
    expect(texts.filter((t) => t.startsWith('alice') || t.startsWith('bob'))).toHaveLength(10);
    expect(texts).not.toContain('allow ap-2');
    // Each write that held is audited with it, and only those.
    const audited = (await store.listAudit({ action: 'approval.test', limit: 100 })).map((e) => `${e.target} ${e.actor}`);
    expect(audited.filter((e) => e.startsWith('ap-')).sort()).toEqual(['ap-1 agent', 'ap-2 agent', 'ap-2 onsembl']);
    expect(audited.filter((e) => e.startsWith('race-'))).toHaveLength(20);
    await other.close();
    await store.close();
  });

  it(`keeps the newest ${Limits.approvalsDecidedKept} decided approvals (and every waiting one)`, async () => {
    const store = await open();
    const c = store.coordination;
    const count = Limits.approvalsDecidedKept + 5;
    const audit = { at: 1, actor: 'a1', role: 'agent' as const, action: 'approval.test' };
    const ids = Array.from({ length: count }, (_, i) => `ap-${String(i).padStart(5, '0')}`);
    const ask = (approvalId: string, i: number) => ({
      createdAt: 1, text: '', approval: { kind: 'ask' as const, question: { approvalId, commandId: 'c1', agentId: 'a1', tool: 'Bash', input: {}, requestedAt: i, deadlineAt: i + 1 }, audit },
    });
    await c.commitEvents([...ids.map(ask), ask('waiting', -1)]);
    await c.commitEvents(ids.map((approvalId, i) => ({
      createdAt: 2, text: '', approval: { kind: 'decide' as const, decided: { approvalId, commandId: 'c1', agentId: 'a1', tool: 'Bash', decision: 'deny' as const, reason: 'timeout' as const, decidedBy: 'onsembl', decidedAt: 1_000 + i }, audit },
    })));
    expect(await c.approval(ids[0]!)).toBeUndefined();
    expect(await c.approval(ids[4]!)).toBeUndefined();
    expect((await c.approval(ids[5]!))?.decided?.decidedAt).toBe(1_005);
    expect((await c.approval(ids.at(-1)!))?.decided).toBeDefined();
    expect((await c.waitingApprovals()).map((q) => q.approvalId)).toEqual(['waiting']);
    await store.close();
  });

  it("reaps a node whose lease ran out: its agents lose their owner and its fence; a rejoin under the same id releases what it held", async () => {
    const store = await open();
    const c = store.coordination;
    expect(await c.joinNode('node-a', 200)).toEqual([]);
    await c.joinNode('node-b', 60_000);
    await c.claimAgent(agent('a1'), 'node-a', 1);
    await c.claimAgent(agent('a2'), 'node-b', 1);
    const reaped: Array<{ agentId: string; generation: number }> = [];
    await waitUntil('node-a is declared dead', async () => {
      reaped.push(...(await c.reapNodes()));
      return reaped.length > 0;
    });
    expect(reaped).toEqual([{ agentId: 'a1', generation: 2 }]);
    expect(await c.renewNode('node-a', 200)).toBe(false);
    expect(await c.renewNode('node-b', 60_000)).toBe(true);
    expect(await c.commitEvents([{ createdAt: 1, text: 'late', fence: { agentId: 'a1', generation: 1 } }])).toEqual([undefined]);
    // node-b restarts under its id while still holding a2: the new process holds nothing yet.
    expect(await c.joinNode('node-b', 60_000)).toEqual([{ agentId: 'a2', generation: 2 }]);
    expect((await c.listPresence()).map((p) => p.ownerNode)).toEqual([undefined, undefined]);
    await c.leaveNode('node-b');
    expect(await c.renewNode('node-b', 60_000)).toBe(false);
    await store.close();
  });
  it('an emergency stop and concurrent command inserts serialize: a command acknowledged before the stop\'s answer is cancelled by it, one stored after it stays queued', async () => {
    const store = await open();
    // Two more nodes: their own pools on the same schema. Node b requests for an agent it does not
    // own (command and queued status in one transaction); the owner stores first, then announces.
    const nodeB = await PostgresStore.open({ url: database.url, schema: `coord_${process.pid}_${schemas}`, maxConnections: 3 });
    const nodeC = await PostgresStore.open({ url: database.url, schema: `coord_${process.pid}_${schemas}`, maxConnections: 3 });
    const c = store.coordination;
    const { generation } = await c.claimAgent(agent('a1'), 'node-a', 1);
    await store.createCommand(command('sent'));
    expect(await c.dispatchCommand('sent', { agentId: 'a1', generation })).toBe(true);
    const acked = new Map<string, number>(); // command id → offset of its queued status
    let stopped = false;
    let afterStop = 0;
    const remote = async (lane: number) => {
      for (let i = 0; afterStop < 10; i++) {
        const id = `b${lane}-${i}`;
        const [offset] = await nodeB.coordination.commitEvents([{ createdAt: 1, text: `queued ${id}`, create: command(id) }]);
        acked.set(id, offset as number);
        if (stopped) afterStop++;
      }
    };
    const owner = async () => {
      for (let i = 0; afterStop < 10; i++) {
        const id = `a-${i}`;
        await store.createCommand(command(id));
        const [offset] = await c.commitEvents([{ createdAt: 1, text: `queued ${id}` }]);
        acked.set(id, offset as number);
      }
    };
    const requests = Promise.all([remote(1), remote(2), owner()]);
    await waitUntil('requests are streaming', () => acked.size >= 20);
    const stop = await nodeC.coordination.emergencyStop({ status: 'cancelled', message: 'cancelled by emergency stop', finishedAt: 9 }, ({ cancelled, interrupted }) => [
      ...cancelled.map((x) => ({ createdAt: 9, text: `cancelled ${x.id}` })),
      { createdAt: 9, text: `stop ${cancelled.length} ${interrupted.length}` },
    ]);
    stopped = true;
    await requests;
    const answerAt = stop.offsets.at(-1) as number;
    expect(stop.offsets).toHaveLength(stop.cancelled.length + 1);
    expect(stop.interrupted.map((x) => x.id)).toEqual(['sent']);
    expect((await store.getCommand('sent'))?.status).toBe('queued'); // sent: its owner's agent answers the interrupt
    const cancelled = new Set(stop.cancelled.map((x) => x.id));
    const before = [...acked].filter(([, offset]) => offset < answerAt).map(([id]) => id);
    const after = [...acked].filter(([, offset]) => offset > answerAt).map(([id]) => id);
    // The race happened: requests were acknowledged on both sides of the answer.
    expect(before.length).toBeGreaterThan(0);
    expect(after.length).toBeGreaterThan(0);
    for (const id of before) {
      expect(cancelled.has(id), `${id} was acknowledged before the stop's answer`).toBe(true);
      expect((await store.getCommand(id))?.status).toBe('cancelled');
    }
    // A remote request numbered after the answer was stored after the stop: a new request, still queued.
    for (const id of after.filter((x) => x.startsWith('b'))) {
      expect(cancelled.has(id)).toBe(false);
      expect((await store.getCommand(id))?.status).toBe('queued');
    }
    // Every cancel the stop made is announced before its answer, as the history has it.
    const texts = (await store.readEvents(0, 100_000)).map((e) => e.text);
    expect(texts.indexOf(`stop ${stop.cancelled.length} 1`)).toBeGreaterThan(Math.max(...stop.cancelled.map((x) => texts.indexOf(`cancelled ${x.id}`))));
    await Promise.all([nodeB.close(), nodeC.close()]);
    await store.close();
  });
});
