import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OnsemblClient } from '@onsembl/client';
import { CertificateError, nodeFetch, nodeTransport } from '@onsembl/client/node';
import { CloseCode } from '@onsembl/protocol';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, spawnAgent } from '../support/agent-process.js';
import { freePort } from '../support/server-process.js';
import { tempDir } from '../support/temp-dir.js';
import { startTestServer, TEST_SECRET } from '../support/test-server.js';
import { TestSocket } from '../support/test-socket.js';
import { makeTestPki } from '../support/tls.js';

const pki = makeTestPki();
afterAll(() => pki[Symbol.dispose]());

const trusted = nodeFetch({ ca: pki.ca });

describe('TLS built in (a private CA made at test time)', () => {
  it('serves /health, the dashboard, the REST API and both WebSocket endpoints over https and wss', async () => {
    await using web = await tempDir();
    mkdirSync(join(web.path, 'assets'));
    writeFileSync(join(web.path, 'index.html'), '<!doctype html><title>Onsembl</title>');
    await using server = await startTestServer({ tls: { cert: pki.cert, key: pki.key }, webRoot: web.path });
    expect(server.httpUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(server.wsUrl).toMatch(/^wss:\/\//);

    const health = await trusted(`${server.httpUrl}/health`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { status: string }).status).toBe('ok');
    const page = await trusted(`${server.httpUrl}/`);
    expect(await page.text()).toContain('<title>Onsembl</title>');
    const token = await server.dashboardToken();
    const api = await trusted(`${server.httpUrl}/api/agents`, { headers: { authorization: `Bearer ${token}` } });
    expect(api.status).toBe(200);

    // A real agent process over wss, trusting the CA with --ca.
    await using agent = spawnAgent(server.wsUrl, await server.agentToken('tls-agent'), ['--name', 'tls-agent', '--ca', pki.caFile]);
    // The client library in Node over wss, through nodeTransport.
    const client = new OnsemblClient({ url: `${server.wsUrl}/ws/dashboard`, token, ...nodeTransport({ ca: pki.ca }) });
    try {
      client.connect();
      await expect.poll(() => client.agents.find((a) => a.id === 'tls-agent')?.status, { timeout: 20_000 }).toBe('online');
      const commandId = await client.requestCommand({ agentId: 'tls-agent', command: 'for i in 1 2 3; do echo tls-line-$i; done', priority: 'normal' });
      let output = '';
      let final = '';
      for await (const event of client.commandEvents(commandId)) {
        if (event.type === 'output') output += event.chunk.data;
        if (event.type === 'status') final = event.status.status;
      }
      expect(final).toBe('completed');
      expect(output).toMatch(/tls-line-1\r?\ntls-line-2\r?\ntls-line-3/);
      // The history API through the client's own fetch, over https.
      const stored = await client.history.command(commandId);
      expect(stored.status).toBe('completed');
      expect(await client.history.output(commandId)).toContain('tls-line-3');
    } finally {
      client.close();
    }
    expect(agent.child.exitCode).toBeNull();

    // A raw wss socket with ws's own `ca` option: the handshake is the same as over ws.
    await using raw = await TestSocket.open(`${server.wsUrl}/ws/dashboard?token=${token}`, { ca: pki.ca });
    expect((await raw.waitFor('connection:ack')).payload.serverVersion).toBeTypeOf('string');
  });

  it('an agent without the CA is refused with a clear error and stops (exit 3), never connects', async () => {
    await using server = await startTestServer({ tls: { cert: pki.cert, key: pki.key } });
    await using agent = spawnAgent(server.wsUrl, await server.agentToken('no-ca'), ['--name', 'no-ca']);
    expect(await agent.exited).toBe(3);
    expect(agent.stderr()).toContain("server's TLS certificate was refused");
    expect(agent.stderr()).toContain('--ca FILE');
    expect(server.context.registry.list().find((a) => a.id === 'no-ca')).toBeUndefined();
  });

  it('a certificate for another host name is refused even when its CA is trusted (agent, client, fetch)', async () => {
    const wrong = { cert: readFileSync(pki.wrongNameCertFile), key: readFileSync(pki.wrongNameKeyFile) };
    await using server = await startTestServer({ tls: wrong });
    await using agent = spawnAgent(server.wsUrl, await server.agentToken('mismatch'), ['--name', 'mismatch', '--ca', pki.caFile]);
    expect(await agent.exited).toBe(3);
    expect(agent.stderr()).toContain('the certificate is for another host name');
    expect(agent.stderr()).toContain('ERR_TLS_CERT_ALTNAME_INVALID');

    const client = new OnsemblClient({ url: `${server.wsUrl}/ws/dashboard`, token: await server.dashboardToken(), ...nodeTransport({ ca: pki.ca }) });
    try {
      client.connect();
      await expect.poll(() => client.status.lastError ?? '').toContain('another host name');
      expect(client.status.lastError).toContain(`code ${CloseCode.tlsHandshake}`);
      expect(client.state).not.toBe('CONNECTED');
    } finally {
      client.close();
    }
    const refused = await trusted(`${server.httpUrl}/health`).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(CertificateError);
    expect((refused as CertificateError).message).toContain('another host name');
  });

  it('a self-signed certificate from no trusted CA is refused (agent with --ca of another CA)', async () => {
    const stranger = { cert: readFileSync(pki.strangerCertFile), key: readFileSync(pki.strangerKeyFile) };
    await using server = await startTestServer({ tls: stranger });
    await using agent = spawnAgent(server.wsUrl, await server.agentToken('stranger'), ['--name', 'stranger', '--ca', pki.caFile]);
    expect(await agent.exited).toBe(3);
    expect(agent.stderr()).toContain("server's TLS certificate was refused");
  });

  it('onsembl server --tls-cert --tls-key: a real process serving https and wss', async () => {
    await using dir = await tempDir();
    const port = await freePort();
    const child = spawn(process.execPath, [CLI, 'server', '--port', String(port), '--data-dir', dir.path, '--tls-cert', pki.certFile, '--tls-key', pki.keyFile], {
      stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ONSEMBL_JWT_SECRET: TEST_SECRET },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      await expect.poll(() => trusted(`https://127.0.0.1:${port}/health`).then((r) => r.status, () => 0), { timeout: 20_000, interval: 100 }).toBe(200);
      expect(out).toContain('"tls":true');
      // Plain http on the TLS port gets no answer from the API.
      expect(await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.status, () => 'refused')).toBe('refused');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });

  it('refuses --tls-cert without --tls-key with one line', async () => {
    const child = spawn(process.execPath, [CLI, 'server', '--port', '0', '--tls-cert', pki.certFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).not.toBe(0);
    expect(err.trim()).toBe('onsembl: --tls-cert and --tls-key (tlsCert and tlsKey, ONSEMBL_TLS_CERT and ONSEMBL_TLS_KEY) go together');
  });
});
