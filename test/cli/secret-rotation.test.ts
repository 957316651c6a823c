import { execFile } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CLI } from '../support/agent-process.js';
import { spawnServer } from '../support/server-process.js';
import { tempDir } from '../support/temp-dir.js';
import { TestSocket } from '../support/test-socket.js';

const run = promisify(execFile);
const env = () => ({ ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ONSEMBL_'))) });
const onsembl = async (args: string[], extra: NodeJS.ProcessEnv = {}) => (await run(process.execPath, [CLI, ...args], { env: { ...env(), ...extra } })).stdout;
const status = (httpUrl: string, token: string) =>
  fetch(`${httpUrl}/api/agents`, { headers: { authorization: `Bearer ${token}` } }).then(async (r) => ({ code: r.status, body: await r.text() }));

describe('onsembl secret rotate', () => {
  it('a new secret signs at once; tokens of the old one verify until the grace ends, on the running server and on a restarted one', async () => {
    await using dir = await tempDir();
    const server = await spawnServer(dir.path, [], { ONSEMBL_JWT_SECRET: '' });
    const oldToken = (await onsembl(['token', '--role', 'dashboard', '--name', 'before', '--data-dir', dir.path])).trim();
    expect((await status(server.httpUrl, oldToken)).code).toBe(200);
    const oldSecret = readFileSync(join(dir.path, 'jwt-secret'), 'utf8');

    const graceSeconds = 20;
    const printed = await onsembl(['secret', 'rotate', '--data-dir', dir.path, '--grace', String(graceSeconds)]);
    expect(printed).toContain('Rotated the JWT secret.');
    expect(printed).toMatch(/verify until \d{4}-\d\d-\d\dT/);
    expect(readFileSync(join(dir.path, 'jwt-secret'), 'utf8')).not.toBe(oldSecret);
    for (const file of ['jwt-secret', 'jwt-secret.previous']) expect(statSync(join(dir.path, file)).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir.path, 'jwt-secret.previous'), 'utf8')).toContain(oldSecret.trim());

    // The running server takes the new secret by itself.
    const newToken = (await onsembl(['token', '--role', 'dashboard', '--name', 'after', '--data-dir', dir.path])).trim();
    await expect.poll(async () => (await status(server.httpUrl, newToken)).code, { timeout: 15_000, interval: 200 }).toBe(200);
    // Within the grace period the old token still works: REST and a dashboard socket.
    expect((await status(server.httpUrl, oldToken)).code).toBe(200);
    await using during = await TestSocket.open(`${server.wsUrl}/ws/dashboard?token=${oldToken}`);
    await during.waitFor('connection:ack');

    // A server started during the grace period knows the retired secret too.
    await server[Symbol.asyncDispose]();
    await using restarted = await spawnServer(dir.path, [], { ONSEMBL_JWT_SECRET: '' });
    expect((await status(restarted.httpUrl, oldToken)).code).toBe(200);
    expect((await status(restarted.httpUrl, newToken)).code).toBe(200);

    // Once it is over, the old token is refused and the new one keeps working.
    await expect.poll(async () => (await status(restarted.httpUrl, oldToken)).code, { timeout: (graceSeconds + 10) * 1000, interval: 250 }).toBe(401);
    expect((await status(restarted.httpUrl, oldToken)).body).toContain('token signature is invalid');
    await expect(TestSocket.open(`${restarted.wsUrl}/ws/dashboard?token=${oldToken}`).then((s) => s.waitFor('error'))).resolves.toMatchObject({ payload: { code: 'AUTH_FAILED' } });
    expect((await status(restarted.httpUrl, newToken)).code).toBe(200);
  }, 90_000);

  it('a second rotation keeps both retired secrets until their own grace ends', async () => {
    await using dir = await tempDir();
    const first = (await onsembl(['token', '--role', 'agent', '--name', 'a', '--data-dir', dir.path])).trim();
    await onsembl(['secret', 'rotate', '--data-dir', dir.path, '--grace', '3600']);
    const second = (await onsembl(['token', '--role', 'agent', '--name', 'b', '--data-dir', dir.path])).trim();
    await onsembl(['secret', 'rotate', '--data-dir', dir.path, '--grace', '0']);
    const retired = JSON.parse(readFileSync(join(dir.path, 'jwt-secret.previous'), 'utf8')) as Array<{ until: number }>;
    expect(retired).toHaveLength(2);
    await using server = await spawnServer(dir.path, [], { ONSEMBL_JWT_SECRET: '' });
    // The first secret's grace runs an hour; the second's ended at once.
    await using _accepted = await TestSocket.open(`${server.wsUrl}/ws/agent?token=${first}`);
    await expect(TestSocket.open(`${server.wsUrl}/ws/agent?token=${second}`)).rejects.toThrow('HTTP 401');
  });

  it('refuses to rotate a secret that comes from ONSEMBL_JWT_SECRET, saying how to roll it instead', async () => {
    await using dir = await tempDir();
    const refused = await onsembl(['secret', 'rotate', '--data-dir', dir.path], { ONSEMBL_JWT_SECRET: 'x'.repeat(40) })
      .catch((e: { code: number; stderr: string }) => e);
    expect(refused).toMatchObject({ code: 2 });
    expect((refused as { stderr: string }).stderr).toContain('ONSEMBL_JWT_SECRET_PREVIOUS');
  });
});
