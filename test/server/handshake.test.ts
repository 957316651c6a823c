import { describe, expect, it } from 'vitest';
import { CloseCode, PROTOCOL_VERSION } from '@onsembl/protocol';
import { startTestServer } from '../support/test-server.js';
import { TestSocket } from '../support/test-socket.js';
import { badTokens } from '../support/tokens.js';

describe('dashboard handshake', () => {
  it('acks a good token with connection:ack then agent:list', async () => {
    await using server = await startTestServer();
    await using socket = await TestSocket.open(`${server.wsUrl}/ws/dashboard?token=${await server.dashboardToken()}`);
    await socket.waitFor('connection:ack');
    const first = socket.messages[0];
    expect(first).toMatchObject({ version: PROTOCOL_VERSION, type: 'connection:ack', payload: { connectionId: expect.any(String) } });
    expect(typeof first?.timestamp).toBe('number');
    const second = await socket.waitFor('agent:list');
    expect(socket.messages.indexOf(second)).toBe(1);
    expect(second.payload).toEqual({ agents: [] });
  });

  it('authenticates in-band with dashboard:connect (token kept out of the URL)', async () => {
    await using server = await startTestServer();
    await using socket = await TestSocket.open(`${server.wsUrl}/ws/dashboard`);
    socket.send('dashboard:connect', { token: await server.dashboardToken('browser-user'), clientInfo: { name: 'test', version: '1' } });
    await socket.waitFor('connection:ack');
    await socket.waitFor('agent:list');
    socket.send('heartbeat', { sequence: 7 });
    expect((await socket.waitFor('heartbeat')).payload).toEqual({ sequence: 7 });
  });

  it('closes a socket that never authenticates', async () => {
    await using server = await startTestServer({ authTimeoutMs: 200 });
    await using socket = await TestSocket.open(`${server.wsUrl}/ws/dashboard`);
    const { code } = await socket.closed;
    expect(code).toBe(CloseCode.authTimeout);
    expect((await socket.waitFor('error')).payload).toMatchObject({ code: 'AUTH_FAILED', recoverable: false });
  });

  it('refuses commands before authentication', async () => {
    await using server = await startTestServer();
    await using socket = await TestSocket.open(`${server.wsUrl}/ws/dashboard`);
    socket.send('command:request', { agentId: 'a', command: 'ls', priority: 'normal' });
    expect((await socket.waitFor('error')).payload).toMatchObject({ code: 'AUTH_FAILED', recoverable: false });
    expect((await socket.closed).code).toBe(CloseCode.authFailed);
  });

  it('refuses every kind of bad token with AUTH_FAILED and a 4001 close, in the URL and in-band', async () => {
    await using server = await startTestServer();
    const kinds = await badTokens(await server.dashboardToken(), await server.agentToken());
    expect(kinds.length).toBeGreaterThanOrEqual(8);
    for (const [kind, token] of kinds) {
      await using viaUrl = await TestSocket.open(`${server.wsUrl}/ws/dashboard?token=${encodeURIComponent(token)}`);
      const closed = await viaUrl.closed;
      expect(closed.code, kind).toBe(CloseCode.authFailed);
      expect(viaUrl.messages, kind).toHaveLength(1);
      expect(viaUrl.messages[0], kind).toMatchObject({ type: 'error', payload: { code: 'AUTH_FAILED', recoverable: false } });

      await using inBand = await TestSocket.open(`${server.wsUrl}/ws/dashboard`);
      inBand.send('dashboard:connect', { token, clientInfo: {} });
      expect((await inBand.closed).code, kind).toBe(CloseCode.authFailed);
      expect(inBand.messages.map((m) => m.type), kind).toEqual(['error']);
    }
  });

  it('refuses an agent upgrade with a bad or dashboard token with HTTP 401', async () => {
    await using server = await startTestServer();
    const dashboardToken = await server.dashboardToken();
    const kinds = await badTokens(dashboardToken, dashboardToken);
    for (const [kind, token] of [...kinds, ['missing', ''] as [string, string]]) {
      const url = `${server.wsUrl}/ws/agent${token ? `?token=${encodeURIComponent(token)}` : ''}`;
      await expect(TestSocket.open(url), kind).rejects.toThrow('HTTP 401');
    }
  });

  it('answers 404 for other paths and GET /health with 200', async () => {
    await using server = await startTestServer();
    await expect(TestSocket.open(`${server.wsUrl}/ws/other`)).rejects.toThrow('HTTP 404');
    const res = await fetch(`${server.httpUrl}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok' });
  });
});
