import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { CLI } from '../support/agent-process.js';
import { freePort, spawnServer } from '../support/server-process.js';
import { tempDir } from '../support/temp-dir.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The pid the data dir's lock names (what a refused second start reports). */
function lockHolder(dataDir: string): number | undefined {
  const db = new Database(join(dataDir, 'server.lock'), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT pid FROM holder').get() as { pid: number } | undefined)?.pid;
  } finally {
    db.close();
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const health = (port: number) =>
  fetch(`http://127.0.0.1:${port}/health`).then((r) => r.json() as Promise<{ epoch: string }>, () => undefined);

/** `npm start` as a user runs it, with its own port and data dir; resolves once the server answers. */
async function npmStart(port: number, dataDir: string): Promise<{ npm: ChildProcess; upPid: number; output: () => string }> {
  const npm = spawn('npm', ['start', '--', '--port', String(port), '--data-dir', dataDir], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ONSEMBL_JWT_SECRET: '' },
  });
  let out = '';
  npm.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  npm.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  await expect.poll(() => health(port), { timeout: 30_000, interval: 100 }).toBeDefined();
  const upPid = lockHolder(dataDir) as number;
  expect(upPid).toBeGreaterThan(0);
  expect(upPid).not.toBe(npm.pid);
  return { npm, upPid, output: () => out };
}

describe('npm start and the data dir', () => {
  it('stopping npm stops the server it started (SIGTERM and SIGKILL), and the next npm start works', async () => {
    await using dir = await tempDir();
    const port = await freePort();
    for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
      const { npm, upPid } = await npmStart(port, dir.path);
      npm.kill(signal);
      await expect.poll(() => alive(upPid), { timeout: 10_000, interval: 100, message: `onsembl up still running after npm got ${signal}` }).toBe(false);
      await expect.poll(() => health(port), { timeout: 5_000, interval: 100 }).toBeUndefined();
    }
  });

  it('a second server on the same data dir refuses with one line naming the holder, and the epoch survives', async () => {
    await using dir = await tempDir();
    const first = await spawnServer(dir.path);
    const epoch = (await health(first.port))?.epoch;
    expect(epoch).toMatch(/^[0-9a-f]+$/);
    const holder = lockHolder(dir.path);
    expect(holder).toBe(first.child.pid);

    const second = await run(process.execPath, [CLI, 'server', '--port', String(await freePort()), '--data-dir', dir.path])
      .catch((e: { code: number; stderr: string }) => e);
    expect(second).toMatchObject({ code: 1 });
    const lines = (second as { stderr: string }).stderr.trim().split('\n');
    expect(lines).toEqual([`onsembl: the data dir ${dir.path} is in use by another Onsembl server (pid ${holder}); stop it first, or start this one with another --data-dir`]);

    // The refused start left the live server alone: a clean restart keeps its history's epoch.
    expect((await health(first.port))?.epoch).toBe(epoch);
    await first[Symbol.asyncDispose]();
    await using again = await spawnServer(dir.path);
    expect((await health(again.port))?.epoch).toBe(epoch);
  });

  it('the lock dies with its process: after a SIGKILL the next server starts', async () => {
    await using dir = await tempDir();
    const first = await spawnServer(dir.path);
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));
    await using next = await spawnServer(dir.path);
    expect(lockHolder(dir.path)).toBe(next.child.pid);
  });

  it('a port already taken is one clear line, not a stack trace', async () => {
    await using dir = await tempDir();
    await using other = await tempDir();
    await using first = await spawnServer(dir.path);
    const second = await run(process.execPath, [CLI, 'server', '--port', String(first.port), '--data-dir', other.path])
      .catch((e: { code: number; stderr: string }) => e);
    expect(second).toMatchObject({ code: 1 });
    expect((second as { stderr: string }).stderr.trim()).toBe(
      `onsembl: port ${first.port} on 127.0.0.1 is already in use (another Onsembl server?): stop it, or pick another --port`,
    );
  });
});
