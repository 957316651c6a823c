import type { ConnectionStatus } from '@onsembl/client';
import { describe, expect, it } from 'vitest';
import { agentColors, PALETTE } from '../ui/agent-colors.js';
import { historyOf, initialState, queueOf, reduce, runningCommand, type DashboardAction, type DashboardState } from './dashboard-state.js';

const connection: ConnectionStatus = {
  state: 'CONNECTED', failures: 0, nextRetryAt: null, reason: null, offerManualReconnect: false, lastError: null, tokenExpiresAt: null,
};
const agent = { id: 'a1', name: 'alpha', type: 'shell', status: 'online' } as const;
const apply = (...actions: DashboardAction[]): DashboardState => actions.reduce(reduce, initialState(connection));

describe('dashboard state', () => {
  it('merges command statuses into one view per command, newest first', () => {
    const state = apply(
      { type: 'agents', agents: [agent] },
      { type: 'status', at: 1, status: { commandId: 'c1', agentId: 'a1', status: 'queued', command: 'ls', priority: 'high' } },
      { type: 'status', at: 2, status: { commandId: 'c1', agentId: 'a1', status: 'running', startedAt: 2 } },
      { type: 'status', at: 3, status: { commandId: 'c2', agentId: 'a1', status: 'queued', command: 'pwd' } },
    );
    expect(runningCommand(state, 'a1')).toMatchObject({ commandId: 'c1', command: 'ls', priority: 'high', status: 'running' });
    const done = reduce(state, { type: 'status', at: 4, status: { commandId: 'c1', agentId: 'a1', status: 'completed', exitCode: 0, durationMs: 12 } });
    expect(runningCommand(done, 'a1')).toBeNull();
    expect(historyOf(done, 'a1')).toEqual([expect.objectContaining({ commandId: 'c1', command: 'ls', exitCode: 0, durationMs: 12 })]);
    expect(done.recent).toEqual(['c2', 'c1']);
  });

  it('orders a queue by the positions the server sends', () => {
    const state = apply({
      type: 'queue',
      update: { agentId: 'a1', queue: [{ commandId: 'x', command: 'b', priority: 'low', position: 2 }, { commandId: 'y', command: 'a', priority: 'high', position: 1 }] },
    });
    expect(queueOf(state, 'a1').map((e) => e.commandId)).toEqual(['y', 'x']);
  });

  it('on reset drops queues and live commands but keeps finished history', () => {
    const state = apply(
      { type: 'status', at: 1, status: { commandId: 'done', agentId: 'a1', status: 'completed' } },
      { type: 'status', at: 2, status: { commandId: 'live', agentId: 'a1', status: 'running' } },
      { type: 'queue', update: { agentId: 'a1', queue: [{ commandId: 'q', command: 'x', priority: 'low', position: 1 }] } },
      { type: 'reset' },
    );
    expect(Object.keys(state.commands)).toEqual(['done']);
    expect(state.recent).toEqual(['done']);
    expect(queueOf(state, 'a1')).toEqual([]);
  });

  it("falls back to the agent's own report of its running command", () => {
    const state = apply({ type: 'agents', agents: [{ ...agent, status: 'busy', currentCommandId: 'c9' }] });
    expect(runningCommand(state, 'a1')).toMatchObject({ commandId: 'c9', status: 'running', command: null });
  });

  it('keeps one notice per key and at most five', () => {
    let state = initialState(connection);
    for (let i = 0; i < 7; i++) state = reduce(state, { type: 'notice', notice: { key: `k${i}`, tone: 'error', title: 't', detail: 'd' } });
    state = reduce(state, { type: 'notice', notice: { key: 'k6', tone: 'error', title: 'again', detail: 'd' } });
    expect(state.notices.map((n) => n.key)).toEqual(['k2', 'k3', 'k4', 'k5', 'k6']);
    expect(state.notices.at(-1)?.title).toBe('again');
  });
});

describe('agent colours', () => {
  it('gives every agent its own colour, the same on every dashboard', () => {
    const agents = Array.from({ length: PALETTE.length }, (_, i) => ({ id: `id-${i}`, name: `agent-${i}` }));
    const colors = agentColors(agents);
    expect(new Set(colors.values()).size).toBe(PALETTE.length);
    expect(agentColors([...agents].reverse())).toEqual(colors);
  });
});

describe('seeding from the history API', () => {
  const stored = (id: string, queuedAt: number, status: 'completed' | 'failed' = 'completed') => ({
    id, agentId: 'a1', command: `echo ${id}`, priority: 'normal' as const, status, requestedBy: 'bob', queuedAt,
    exitCode: status === 'completed' ? 0 : 1, durationMs: 5, lastSequence: 1, history: [],
  });

  it('adds stored commands it does not know, keeps what it saw live, and orders by queue time', () => {
    const state = apply(
      { type: 'status', at: 50, status: { commandId: 'live', agentId: 'a1', status: 'completed', command: 'live one', queuedAt: 300, exitCode: 0 } },
      { type: 'seed', commands: [stored('newer', 200), stored('live', 300, 'failed'), stored('older', 100, 'failed')] },
    );
    expect(state.recent).toEqual(['live', 'newer', 'older']);
    expect(state.commands.live).toMatchObject({ status: 'completed', command: 'live one' });
    expect(historyOf(state, 'a1').map((v) => [v.commandId, v.status, v.requestedBy])).toEqual([
      ['live', 'completed', null], ['newer', 'completed', 'bob'], ['older', 'failed', 'bob'],
    ]);
  });
});
