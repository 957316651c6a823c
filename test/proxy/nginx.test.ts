import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeFetch } from '@onsembl/client/node';
import { Timings } from '@onsembl/protocol';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnAgent } from '../support/agent-process.js';
import { NGINX_CONF, nginxAvailable, replaceIn, startNginx } from '../support/nginx.js';
import { freePort } from '../support/server-process.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { TestSocket } from '../support/test-socket.js';
import { makeTestPki } from '../support/tls.js';

const available = nginxAvailable();
const pki = makeTestPki();
afterAll(() => pki[Symbol.dispose]());
const trusted = nodeFetch({ ca: pki.ca });

/**
 * deploy/nginx/onsembl.conf with this test's addresses: its port, the test CA's certificate, its log,
 * and as upstream nodes a port nothing listens on (a node that is down) and the live server.
 */
function siteFor(listen: number, upstreams: number[]) {
  return (prefix: string) => {
    let conf = readFileSync(NGINX_CONF, 'utf8');
    conf = replaceIn(conf, /listen 443 ssl;/, `listen 127.0.0.1:${listen} ssl;`);
    conf = replaceIn(conf, /\/etc\/ssl\/onsembl\/fullchain\.pem/, pki.certFile);
    conf = replaceIn(conf, /\/etc\/ssl\/onsembl\/privkey\.pem/, pki.keyFile);
    conf = replaceIn(conf, /\/var\/log\/nginx\/onsembl\.access\.log/, join(prefix, 'logs', 'access.log'));
    const servers = upstreams.map((port) => `    server 127.0.0.1:${port} max_fails=1 fail_timeout=10s;`).join('\n');
    conf = replaceIn(conf, /( {4}server 127\.0\.0\.1:300\d max_fails=1 fail_timeout=10s;\n)+/, `${servers}\n`);
    return conf;
  };
}

/**
 * nginx reaches the nodes from 127.0.0.2 while the test's client is 127.0.0.1: an audit entry of
 * 127.0.0.1 can only come from X-Forwarded-For, one of 127.0.0.2 only from the socket.
 */
const FROM_OTHER_ADDRESS = '  proxy_bind 127.0.0.2;';

async function proxyFor(server: TestServer) {
  const dead = await freePort();
  const port = await freePort();
  const nginx = await startNginx(siteFor(port, [dead, server.port]), { extraHttp: FROM_OTHER_ADDRESS });
  return { nginx, port, base: `https://127.0.0.1:${port}`, wss: `wss://127.0.0.1:${port}`, dead };
}

async function auditRemotes(base: string, token: string, action: string): Promise<string[]> {
  const res = await trusted(`${base}/api/audit?action=${action}`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { entries: Array<{ remote?: string }> }).entries.map((e) => e.remote ?? '');
}

describe.skipIf(!available)('behind nginx (deploy/nginx/onsembl.conf, the real nginx)', () => {
  it('its timeouts outlast the heartbeat: nginx never drops a healthy idle socket before the server would', () => {
    const conf = readFileSync(NGINX_CONF, 'utf8');
    for (const directive of ['proxy_read_timeout', 'proxy_send_timeout']) {
      const seconds = Number(new RegExp(`${directive} (\\d+)s;`).exec(conf)?.[1]);
      expect(seconds * 1000, directive).toBeGreaterThan(Timings.heartbeatTimeoutMs);
    }
    expect(conf).toMatch(/proxy_set_header Upgrade \$http_upgrade;/);
    expect(conf).toMatch(/proxy_buffering off;/);
  });

  it('TLS termination, WebSocket upgrade, a streamed command and the REST API, past a node that is down; --trust-proxy audit', async () => {
    await using server = await startTestServer({ trustProxy: true });
    const { nginx, base, wss, dead } = await proxyFor(server);
    await using _nginx = nginx;
    const token = await server.dashboardToken('ops');

    const health = await trusted(`${base}/health`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { status: string }).status).toBe('ok');

    // A browser's handshake: its Origin is the https site nginx serves.
    await using dashboard = await TestSocket.open(`${wss}/ws/dashboard?token=${token}`, { ca: pki.ca, origin: base });
    await dashboard.waitFor('agent:list');
    // A real agent process, through nginx over wss with the private CA.
    await using agent = spawnAgent(`${wss}`, await server.agentToken('proxied'), ['--name', 'proxied', '--ca', pki.caFile]);
    await dashboard.waitFor('agent:status', (p) => (p.agent as { id: string; status: string }).id === 'proxied' && (p.agent as { status: string }).status === 'online', 20_000);

    dashboard.send('command:request', {
      agentId: 'proxied', command: 'for i in $(seq 1 30); do echo "proxied line $i"; sleep 0.02; done', priority: 'normal', requestId: 'r',
    });
    const queued = await dashboard.waitFor('command:status', (p) => p.requestId === 'r');
    const commandId = queued.payload.commandId as string;
    await dashboard.waitFor('command:status', (p) => p.commandId === commandId && p.status === 'completed', 30_000);
    const mine = dashboard.messages.filter((m) => m.payload.commandId === commandId);
    const outputs = mine.filter((m) => m.type === 'terminal:output');
    // Streamed: output came in several chunks, each before the final status, in order.
    expect(outputs.length).toBeGreaterThan(1);
    expect(mine.findIndex((m) => m.type === 'terminal:output')).toBeLessThan(mine.findIndex((m) => m.payload.status === 'completed'));
    expect(outputs.map((m) => m.payload.sequence)).toEqual(outputs.map((_, i) => i + 1));
    expect(outputs.map((m) => m.payload.data).join('')).toMatch(/proxied line 1\r?\n[\s\S]*proxied line 30\r?\n/);

    // The REST API through nginx.
    const stored = await trusted(`${base}/api/commands/${commandId}/output`, { headers: { authorization: `Bearer ${token}` } });
    expect(stored.status).toBe(200);
    expect(await stored.text()).toContain('proxied line 30');
    const command = await trusted(`${base}/api/commands/${commandId}`, { headers: { authorization: `Bearer ${token}` } });
    expect(((await command.json()) as { command: { status: string } }).command.status).toBe('completed');

    // --trust-proxy: the client's address (127.0.0.1) from X-Forwarded-For, not nginx's (127.0.0.2).
    expect(await auditRemotes(base, token, 'dashboard.connected')).toEqual(['127.0.0.1']);
    // A forged X-Forwarded-For from the client is not believed: nginx appends what it saw, the server takes that.
    const forged = await trusted(`${base}/api/agents`, { headers: { 'x-forwarded-for': '198.51.100.66' } });
    expect(forged.status).toBe(401);
    expect(await auditRemotes(base, token, 'auth.failed')).toEqual(['127.0.0.1']);

    // The node that is down was tried and passed over.
    expect(nginx.errorLog()).toContain(`127.0.0.1:${dead}`);
    expect(agent.child.exitCode).toBeNull();
    // nginx logs a WebSocket when it closes: close both, then the access log has them, and no token.
    await dashboard[Symbol.asyncDispose]();
    await agent[Symbol.asyncDispose]();
    await expect.poll(() => nginx.accessLog(), { timeout: 10_000 }).toContain('"GET /ws/agent HTTP/1.1" 101');
    await expect.poll(() => nginx.accessLog(), { timeout: 10_000 }).toContain('"GET /ws/dashboard HTTP/1.1" 101');
    expect(nginx.accessLog()).not.toContain(token);
    expect(nginx.accessLog()).not.toContain('token=');
  });

  it('without --trust-proxy the forwarded headers are ignored: the https Origin is refused and the audit log has the proxy address', async () => {
    await using server = await startTestServer();
    const { nginx, base, wss } = await proxyFor(server);
    await using _nginx = nginx;
    const token = await server.dashboardToken('ops');
    await expect(TestSocket.open(`${wss}/ws/dashboard?token=${token}`, { ca: pki.ca, origin: base })).rejects.toThrow('HTTP 403');
    // A non-browser client (no Origin) gets through; its address is nginx's.
    await using client = await TestSocket.open(`${wss}/ws/dashboard?token=${token}`, { ca: pki.ca });
    await client.waitFor('agent:list');
    expect(await auditRemotes(base, token, 'origin.refused')).toEqual(['127.0.0.2']);
    expect(await auditRemotes(base, token, 'dashboard.connected')).toEqual(['127.0.0.2']);
  });
});
