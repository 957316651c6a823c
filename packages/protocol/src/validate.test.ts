import { describe, expect, it } from 'vitest';
import { envelope, parseDashboardMessage, PROTOCOL_VERSION } from './index.js';

const raw = (type: string, payload: unknown, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ version: PROTOCOL_VERSION, type, timestamp: Date.now(), payload, ...extra });

describe('dashboard message parser', () => {
  it('accepts a valid command:request and ignores unknown fields', () => {
    const r = parseDashboardMessage.parse(
      raw('command:request', { agentId: 'a1', command: 'ls -la', priority: 'normal', extra: 1 }, { future: true }),
    );
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.message.type).toBe('command:request');
  });

  it('accepts any 1.x version and refuses another major naming the supported one', () => {
    const ok = parseDashboardMessage.parse(JSON.stringify({ ...envelope('heartbeat', { sequence: 1 }), version: '1.7.2' }));
    expect(ok.ok).toBe(true);
    const bad = parseDashboardMessage.parse(JSON.stringify({ ...envelope('heartbeat', { sequence: 1 }), version: '2.0.0' }));
    expect(bad).toMatchObject({ ok: false, error: expect.stringContaining('1.0.0') });
  });

  it.each([
    ['not json', '{'],
    ['array', '[]'],
    ['missing payload', JSON.stringify({ version: '1.0.0', type: 'heartbeat', timestamp: 1 })],
    ['unknown type', raw('nope', {})],
    ['wrong field type', raw('heartbeat', { sequence: 'x' })],
    ['bad priority', raw('command:request', { agentId: 'a', command: 'ls', priority: 'urgent' })],
    ['NUL in command', raw('command:request', { agentId: 'a', command: 'ls\u0000', priority: 'low' })],
    ['command too long', raw('command:request', { agentId: 'a', command: 'x'.repeat(10_001), priority: 'low' })],
  ])('rejects %s', (_name, text) => {
    const r = parseDashboardMessage.parse(text);
    expect(r.ok).toBe(false);
  });

  it('keeps the requestId of a rejected request so the answer can be matched', () => {
    const r = parseDashboardMessage.parse(raw('command:request', { agentId: 'a', priority: 'low', requestId: 'r-1' }));
    expect(r).toMatchObject({ ok: false, requestId: 'r-1', type: 'command:request' });
  });
});
