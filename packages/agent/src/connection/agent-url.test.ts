import { describe, expect, it } from 'vitest';
import { agentSocketUrl, redactedUrl } from './agent-url.js';

describe('agentSocketUrl', () => {
  it.each([
    ['ws://host:3001', 'ws://host:3001/ws/agent?token=T'],
    ['ws://host:3001/', 'ws://host:3001/ws/agent?token=T'],
    ['http://host:3001', 'ws://host:3001/ws/agent?token=T'],
    ['https://host', 'wss://host/ws/agent?token=T'],
    ['wss://host/custom/path', 'wss://host/custom/path?token=T'],
    ['ws://host:3001/ws/agent?token=old&x=1', 'ws://host:3001/ws/agent?token=T&x=1'],
  ])('%s → %s', (input, expected) => {
    expect(agentSocketUrl(input, 'T').toString()).toBe(expected);
  });

  it('refuses other schemes and garbage without echoing a token', () => {
    expect(() => agentSocketUrl('ftp://host', 'T')).toThrow(/scheme/);
    expect(() => agentSocketUrl('not a url?token=secret123', 'T')).toThrow(/invalid server URL/);
    expect(() => agentSocketUrl('not a url?token=secret123', 'T')).not.toThrow(/secret123/);
  });

  it('redacts the token for logs', () => {
    const url = agentSocketUrl('ws://host:1', 'secret.jwt.value');
    expect(redactedUrl(url)).toBe('ws://host:1/ws/agent?token=REDACTED');
    expect(redactedUrl(url)).not.toContain('secret');
  });
});
