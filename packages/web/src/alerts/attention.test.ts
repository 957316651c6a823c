import { describe, expect, it } from 'vitest';
import { AttentionKeeper, type Attention, type AttentionPlatform } from './attention.js';

function platform() {
  const shown: Attention[] = [];
  const state = { away: false, allowed: true, title: '' };
  const p: AttentionPlatform = {
    away: () => state.away,
    setTitle: (t) => (state.title = t),
    notify: (a) => shown.push(a),
    notificationsAllowed: () => state.allowed,
  };
  return { p, shown, state };
}

const status = (s: string, extra = {}) => ({ commandId: 'cmd-1', agentId: 'a', status: s, command: 'make', ...extra }) as never;

describe('AttentionKeeper', () => {
  it('counts and notifies only while the user is away, and never for a cancelled command', () => {
    const { p, shown, state } = platform();
    const keeper = new AttentionKeeper(p, true);
    keeper.commandStatus(status('completed', { exitCode: 0 }), 'alpha');
    expect([keeper.unseen, shown.length]).toEqual([0, 0]);
    state.away = true;
    keeper.commandStatus(status('cancelled'), 'alpha');
    keeper.commandStatus(status('running'), 'alpha');
    expect([keeper.unseen, shown.length]).toEqual([0, 0]);
    keeper.commandStatus(status('timeout', { message: 'ran past 5 s' }), 'alpha');
    expect(shown.map((a) => [a.kind, a.title, a.body])).toEqual([['failed', 'Timed out on alpha', '"make": ran past 5 s']]);
    expect(state.title).toBe('(1) Onsembl');
    state.away = false;
    keeper.back();
    expect(state.title).toBe('Onsembl');
  });

  it('keeps waiting approvals in the title until they are settled, and respects a refused permission', () => {
    const { p, shown, state } = platform();
    const keeper = new AttentionKeeper(p, true);
    state.away = true;
    state.allowed = false;
    keeper.approvalWaiting('ap-1', 'alpha', 'Bash');
    expect(shown).toEqual([]);
    expect(state.title).toBe('(1) 1 approval waiting · Onsembl');
    state.away = false;
    keeper.back();
    expect(state.title).toBe('1 approval waiting · Onsembl');
    keeper.approvalSettled();
    expect(state.title).toBe('Onsembl');
  });

  it('announces a lost connection once per outage, not for every attempt', () => {
    const { p, shown, state } = platform();
    const keeper = new AttentionKeeper(p, true);
    state.away = true;
    const conn = (s: string) => ({ state: s, failures: 0, nextRetryAt: null, reason: null, offerManualReconnect: false, lastError: 'closed', tokenExpiresAt: null }) as never;
    keeper.connection(conn('CONNECTING'));
    expect(shown).toHaveLength(0);
    keeper.connection(conn('CONNECTED'));
    keeper.connection(conn('RECONNECTING'));
    keeper.connection(conn('RECONNECTING'));
    expect(shown.map((a) => a.kind)).toEqual(['connection']);
    expect(state.title).toBe('(1) Onsembl · reconnecting');
    keeper.connection(conn('CONNECTED'));
    expect(state.title).toBe('(1) Onsembl');
  });
});
