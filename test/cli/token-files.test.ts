import { execFile, spawn } from 'node:child_process';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { CLI } from '../support/agent-process.js';
import { tempDir } from '../support/temp-dir.js';
import { startTestServer } from '../support/test-server.js';

const run = promisify(execFile);
const envWithout = (...names: string[]) => Object.fromEntries(Object.entries(process.env).filter(([k]) => !names.includes(k)));

/** `onsembl agent` as a process; resolves once the server lists it online. */
function agentProcess(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [CLI, 'agent', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'], env: { ...envWithout('ONSEMBL_TOKEN', 'ONSEMBL_AGENT_TOKEN', 'ONSEMBL_TOKEN_FILE'), SHELL: '/bin/sh', ...env },
  });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout.resume();
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return {
    child, exited, stderr: () => err,
    async [Symbol.asyncDispose]() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

describe('tokens never on a command line', () => {
  it('token --out writes the token with mode 0600 (also over an existing wider file) and prints nothing', async () => {
    await using dir = await tempDir();
    const out = join(dir.path, 'agent.token');
    writeFileSync(out, 'old\n');
    chmodSync(out, 0o644);
    const { stdout } = await run(process.execPath, [CLI, 'token', '--role', 'agent', '--name', 'box', '--data-dir', dir.path, '--out', out], {
      env: envWithout('ONSEMBL_JWT_SECRET'),
    });
    expect(stdout).toBe('');
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(decodeJwt(readFileSync(out, 'utf8').trim())).toMatchObject({ sub: 'box', role: 'agent' });
  });

  it('agent --token-file connects, and the token is not in the process command line', async () => {
    await using dir = await tempDir();
    await using server = await startTestServer();
    const token = await server.agentToken('filed');
    const file = join(dir.path, 'token');
    writeFileSync(file, `${token}\n`, { mode: 0o600 });
    await using agent = agentProcess(['--url', server.wsUrl, '--name', 'filed', '--token-file', file]);
    await expect.poll(() => server.context.registry.list().find((a) => a.id === 'filed')?.status, { timeout: 20_000 }).toBe('online');
    const cmdline = readFileSync(`/proc/${agent.child.pid}/cmdline`, 'utf8');
    expect(cmdline).toContain('--token-file');
    expect(cmdline).not.toContain(token);
    expect(agent.stderr()).not.toContain('warning');
  });

  it('agent takes $ONSEMBL_TOKEN, and $ONSEMBL_TOKEN_FILE', async () => {
    await using dir = await tempDir();
    await using server = await startTestServer();
    await using _agent = agentProcess(['--url', server.wsUrl, '--name', 'env'], { ONSEMBL_TOKEN: await server.agentToken('env') });
    const file = join(dir.path, 'token');
    writeFileSync(file, await server.agentToken('env-file'), { mode: 0o600 });
    await using _filed = agentProcess(['--url', server.wsUrl, '--name', 'env-file'], { ONSEMBL_TOKEN_FILE: file });
    await expect.poll(() => server.context.registry.list().find((a) => a.id === 'env')?.status, { timeout: 20_000 }).toBe('online');
    await expect.poll(() => server.context.registry.list().find((a) => a.id === 'env-file')?.status, { timeout: 20_000 }).toBe('online');
  });

  it('agent --token still works, with a warning; a group-readable token file works with a warning', async () => {
    await using dir = await tempDir();
    await using server = await startTestServer();
    await using flagged = agentProcess(['--url', server.wsUrl, '--name', 'flagged', '--token', await server.agentToken('flagged')]);
    await expect.poll(() => server.context.registry.list().find((a) => a.id === 'flagged')?.status, { timeout: 20_000 }).toBe('online');
    expect(flagged.stderr()).toContain('warning: --token is visible to every user of this machine');

    const loose = join(dir.path, 'loose');
    writeFileSync(loose, await server.agentToken('loose'), { mode: 0o640 });
    await using looseAgent = agentProcess(['--url', server.wsUrl, '--name', 'loose', '--token-file', loose]);
    await expect.poll(() => server.context.registry.list().find((a) => a.id === 'loose')?.status, { timeout: 20_000 }).toBe('online');
    expect(looseAgent.stderr()).toContain(`chmod 600 ${loose}`);
  });

  it('agent refuses a missing or empty token file, both flags at once, and no token at all, each with one line', async () => {
    await using dir = await tempDir();
    const empty = join(dir.path, 'empty');
    writeFileSync(empty, '\n', { mode: 0o600 });
    const missing = join(dir.path, 'missing');
    const cases: Array<[string[], string]> = [
      [['--token-file', missing], `cannot read the token file ${missing}: ENOENT`],
      [['--token-file', empty], `the token file ${empty} is empty`],
      [['--token-file', empty, '--token', 'x'], 'give --token-file or --token, not both'],
      [[], 'no agent token: pass --token-file FILE or set ONSEMBL_TOKEN (or ONSEMBL_TOKEN_FILE)'],
    ];
    for (const [args, message] of cases) {
      await using agent = agentProcess(['--url', 'ws://127.0.0.1:9', ...args]);
      expect(await agent.exited).toBe(2);
      expect(agent.stderr().trim().split('\n')).toHaveLength(1);
      expect(agent.stderr()).toContain(`onsembl: ${message}`);
    }
  });
});
