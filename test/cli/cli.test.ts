import { execFile, spawn } from 'node:child_process';
import { statSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { CLI } from '../support/agent-process.js';
import { freePort, spawnServer } from '../support/server-process.js';
import { tempDir } from '../support/temp-dir.js';
import { TestSocket } from '../support/test-socket.js';

const run = promisify(execFile);
const envWithout = (...names: string[]) => Object.fromEntries(Object.entries(process.env).filter(([k]) => !names.includes(k)));

describe('the onsembl command', () => {
  it('token: prints one HS256 JWT with exp, sub and role, and keeps a generated secret with mode 0600', async () => {
    await using dir = await tempDir();
    const env = envWithout('ONSEMBL_JWT_SECRET', 'ONSEMBL_DATA_DIR');
    const { stdout } = await run(process.execPath, [CLI, 'token', '--role', 'agent', '--name', 'laptop', '--ttl', '600', '--data-dir', dir.path], { env });
    const token = stdout.trim();
    expect(token.split('.')).toHaveLength(3);
    expect(decodeProtectedHeader(token).alg).toBe('HS256');
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ sub: 'laptop', role: 'agent' });
    expect((claims.exp as number) - Math.floor(Date.now() / 1000)).toBeGreaterThan(590);
    expect(statSync(join(dir.path, 'jwt-secret')).mode & 0o777).toBe(0o600);
    // The same secret is reused, so the server started on that data dir accepts the token.
    await using server = await spawnServer(dir.path, [], { ONSEMBL_JWT_SECRET: '' });
    await using agentSocket = await TestSocket.open(`${server.wsUrl}/ws/agent?token=${token}`);
    agentSocket.send('agent:connect', { name: 'laptop', type: 'shell', version: '1', running: [] });
    expect((await agentSocket.waitFor('connection:ack')).payload.agentId).toBe('laptop');
  });

  it('token: uses ONSEMBL_DATA_DIR and refuses a bad role with a clear message', async () => {
    await using dir = await tempDir();
    const env = { ...envWithout('ONSEMBL_JWT_SECRET'), ONSEMBL_DATA_DIR: dir.path };
    await run(process.execPath, [CLI, 'token', '--role', 'dashboard'], { env });
    expect(readFileSync(join(dir.path, 'jwt-secret'), 'utf8').trim().length).toBeGreaterThanOrEqual(32);
    const bad = await run(process.execPath, [CLI, 'token', '--role', 'admin'], { env }).catch((e: { stderr: string; code: number }) => e);
    expect(bad).toMatchObject({ code: expect.any(Number) });
    expect((bad as { stderr: string }).stderr).toContain('must be dashboard, agent or metrics');
  });

  it('up: starts a server and a local shell agent, prints the dashboard URL, and the spec example session works', async () => {
    await using dir = await tempDir();
    const port = await freePort();
    const child = spawn(process.execPath, [CLI, 'up', '--port', String(port), '--data-dir', dir.path], {
      stdio: ['ignore', 'pipe', 'pipe'], env: envWithout('ONSEMBL_JWT_SECRET'),
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await expect.poll(() => out, { timeout: 20_000 }).toContain('WebSocket:');
      const wsUrl = /WebSocket:\s+(\S+)/.exec(out)?.[1] as string;
      expect(/Dashboard:\s+(\S+)/.exec(out)?.[1]).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/\\?token=ey`));
      await using dashboard = await TestSocket.open(wsUrl);
      await dashboard.waitFor('connection:ack');
      expect(dashboard.messages[0]?.type).toBe('connection:ack');
      const list = await dashboard.waitFor('agent:list');
      let agents = list.payload.agents as Array<{ id: string; status: string }>;
      if (!agents.some((a) => a.status === 'online')) {
        const status = await dashboard.waitFor('agent:status', (p) => (p.agent as { status: string }).status === 'online');
        agents = [status.payload.agent as { id: string; status: string }];
      }
      const agentId = agents.find((a) => a.status === 'online')?.id as string;
      dashboard.send('command:request', { agentId, command: 'ls -la', priority: 'normal', requestId: 'r' });
      const queued = await dashboard.waitFor('command:status', (p) => p.requestId === 'r' && p.status === 'queued');
      await dashboard.waitFor('command:status', (p) => p.commandId === queued.payload.commandId && p.status === 'running');
      const output = await dashboard.waitFor('terminal:output', (p) => p.commandId === queued.payload.commandId);
      expect(output.payload.sequence).toBe(1);
      expect(output.payload.data).toContain('total');
      const done = await dashboard.waitFor('command:status', (p) => p.commandId === queued.payload.commandId && p.status === 'completed');
      expect(done.payload.exitCode).toBe(0);
      dashboard.send('heartbeat', { sequence: 1 });
      expect((await dashboard.waitFor('heartbeat')).payload).toEqual({ sequence: 1 });
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      expect(health.status).toBe(200);
    } finally {
      child.kill('SIGINT');
      await new Promise((r) => child.once('exit', r));
    }
    // Everything the process printed apart from the two URLs it was asked to print has no token in it.
    const token = /\?token=(\S+)/.exec(out)?.[1] as string;
    const logLines = out.split('\n').filter((l) => !/^\s+(Dashboard|WebSocket):/.test(l));
    expect(logLines.join('\n')).not.toContain(token);
    // How to add an agent: the token goes in a file, never in a command line.
    expect(out).toContain(`--out agent.token --data-dir ${dir.path}`);
    expect(out).toContain('--token-file agent.token');
    expect(out).not.toMatch(/--token\s/);
  });

  it('server: logs never contain a token, even a bad one in the URL', async () => {
    await using dir = await tempDir();
    await using server = await spawnServer(dir.path, ['--log-level', 'debug']);
    const secretish = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2VjcmV0LXNpZ25hdHVyZQ';
    await using dashboard = await TestSocket.open(`${server.wsUrl}/ws/dashboard?token=${secretish}`);
    await dashboard.closed;
    await expect(TestSocket.open(`${server.wsUrl}/ws/agent?token=${secretish}`)).rejects.toThrow('401');
    await expect.poll(() => server.output()).toContain('agent refused');
    expect(server.output()).toContain('dashboard refused');
    expect(server.output()).not.toContain(secretish);
    expect(server.output()).toContain('[REDACTED]');
  });
});
