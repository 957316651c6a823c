import { describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { TestSocket } from '../support/test-socket.js';
import { waitUntil } from '../support/wait-until.js';

/** What a TLS-terminating proxy in front of a plain-http server adds to an upgrade from a browser. */
const proxied = (forwardedFor: string) => ({
  origin: 'https://onsembl.example',
  headers: { host: 'onsembl.example', 'x-forwarded-proto': 'https', 'x-forwarded-for': forwardedFor },
});

type AuditEntry = { remote?: string; actor: string; target?: string };

async function audit(server: TestServer, action: string): Promise<AuditEntry[]> {
  await server.context.audit.flush();
  const res = await fetch(`${server.httpUrl}/api/audit?action=${action}`, { headers: { authorization: `Bearer ${await server.dashboardToken('auditor')}` } });
  return ((await res.json()) as { entries: AuditEntry[] }).entries;
}

describe('--trust-proxy', () => {
  it('without it, X-Forwarded-* are ignored: the Origin check uses the socket scheme and the audit log the peer address', async () => {
    await using server = await startTestServer();
    const token = await server.dashboardToken('browser');
    const url = `${server.wsUrl}/ws/dashboard?token=${token}`;
    // The browser's https Origin does not match a plain-http server that does not believe the proxy.
    await expect(TestSocket.open(url, proxied('203.0.113.9'))).rejects.toThrow('HTTP 403');
    const refused = await audit(server, 'origin.refused');
    expect(refused).toHaveLength(1);
    expect(refused[0]?.remote).toMatch(/127\.0\.0\.1$/);

    // A client without Origin is let in, and its forged X-Forwarded-For is not what is recorded.
    await using socket = await TestSocket.open(url, { headers: { 'x-forwarded-for': '198.51.100.1' } });
    await socket.waitFor('agent:list');
    const connected = await audit(server, 'dashboard.connected');
    expect(connected.map((e) => e.remote)).not.toContain('198.51.100.1');
    expect(connected[0]?.remote).toMatch(/127\.0\.0\.1$/);

    const api = await fetch(`${server.httpUrl}/api/agents`, { headers: { 'x-forwarded-for': '198.51.100.2' } });
    expect(api.status).toBe(401);
    expect((await audit(server, 'auth.failed')).map((e) => e.remote)).not.toContain('198.51.100.2');
  });

  it('with it, the audit log records the forwarded client and the Origin check uses the forwarded scheme and host', async () => {
    await using server = await startTestServer({ trustProxy: true });
    const token = await server.dashboardToken('browser');
    const url = `${server.wsUrl}/ws/dashboard?token=${token}`;
    // The last entry is the one the proxy appended: what came before it, the client may have forged.
    await using socket = await TestSocket.open(url, proxied('10.9.9.9, 203.0.113.9'));
    await socket.waitFor('agent:list');
    const connected = await audit(server, 'dashboard.connected');
    expect(connected.map((e) => e.remote)).toEqual(['203.0.113.9']);

    // The forwarded scheme counts: an http Origin is not the https site the proxy serves.
    await expect(TestSocket.open(url, { ...proxied('203.0.113.10'), origin: 'http://onsembl.example' })).rejects.toThrow('HTTP 403');
    await expect(TestSocket.open(url, { ...proxied('203.0.113.11'), origin: 'https://evil.example' })).rejects.toThrow('HTTP 403');
    expect((await audit(server, 'origin.refused')).map((e) => e.remote).sort()).toEqual(['203.0.113.10', '203.0.113.11']);
    // X-Forwarded-Host, when the proxy sends it, is the host the browser used.
    await using viaHost = await TestSocket.open(url, {
      origin: 'https://public.example',
      headers: { host: 'internal:3001', 'x-forwarded-host': 'public.example', 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.12' },
    });
    await viaHost.waitFor('agent:list');

    const api = await fetch(`${server.httpUrl}/api/agents`, { headers: { 'x-forwarded-for': '203.0.113.13' } });
    expect(api.status).toBe(401);
    expect((await audit(server, 'auth.failed')).map((e) => e.remote)).toContain('203.0.113.13');
  });

  it("records an agent's address when it connects and disconnects: the peer's without the flag, the proxy's view with it", async () => {
    for (const trustProxy of [false, true]) {
      await using server = await startTestServer({ trustProxy });
      const token = await server.agentToken('edge-agent');
      const agent = await TestSocket.open(`${server.wsUrl}/ws/agent?token=${token}`, { headers: { 'x-forwarded-for': '10.1.1.1, 203.0.113.20' } });
      agent.send('agent:connect', { name: 'edge', type: 'shell', version: 'test', running: [] });
      await agent.waitFor('connection:ack');
      await agent[Symbol.asyncDispose]();
      const expected = trustProxy ? '203.0.113.20' : expect.stringMatching(/127\.0\.0\.1$/);
      const wanted = { actor: 'edge-agent', target: 'edge-agent', remote: expected };
      expect(await audit(server, 'agent.connected')).toEqual([expect.objectContaining(wanted)]);
      // The disconnect is recorded once the server has seen the close.
      let disconnected: AuditEntry[] = [];
      await waitUntil('the disconnect is audited', async () => (disconnected = await audit(server, 'agent.disconnected')).length > 0);
      expect(disconnected).toEqual([expect.objectContaining(wanted)]);
    }
  });
});
