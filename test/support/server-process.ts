import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { CLI } from './agent-process.js';
import { TEST_SECRET } from './test-server.js';

export interface ServerProcess extends AsyncDisposable {
  child: ChildProcess;
  port: number;
  wsUrl: string;
  httpUrl: string;
  /** Resident memory of the server process, from /proc. */
  rssBytes(): number;
  output(): string;
}

/** A port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Starts `onsembl server` as a real process and waits until GET /health answers 200. */
export async function spawnServer(dataDir: string, args: string[] = [], env: NodeJS.ProcessEnv = {}, fixedPort?: number): Promise<ServerProcess> {
  const port = fixedPort ?? (await freePort());
  const child = spawn(process.execPath, [CLI, 'server', '--port', String(port), '--data-dir', dataDir, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ONSEMBL_JWT_SECRET: TEST_SECRET, ...env },
  });
  let out = '';
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  let exitedEarly = false;
  child.once('exit', () => (exitedEarly = true));
  for (const deadline = Date.now() + 20_000; ; ) {
    if (exitedEarly) throw new Error(`server exited early: ${out}`);
    const ok = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`server did not become healthy: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    port,
    wsUrl: `ws://127.0.0.1:${port}`,
    httpUrl: `http://127.0.0.1:${port}`,
    rssBytes: () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0) * 1024,
    output: () => out,
    async [Symbol.asyncDispose]() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
