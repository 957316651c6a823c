import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const FORWARDER = fileURLToPath(new URL('../netns/loopback-forwarder.mjs', import.meta.url));

/** Why this machine cannot give a CLI a network namespace of its own, or null when it can. */
export function netnsUnavailable(): string | null {
  for (const tool of ['unshare', 'nsenter', 'ip']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed`;
  }
  const probe = spawnSync('unshare', ['-n', 'true'], { encoding: 'utf8' });
  if (probe.status !== 0) return `unshare -n fails here (${(probe.stderr || probe.error?.message || '').trim()}); it needs root or CAP_SYS_ADMIN`;
  return null;
}

/**
 * A network namespace with nothing but loopback, held by the loopback forwarder (its first process):
 * inside, 127.0.0.1:`port` leads to the fake model server's Unix socket and nowhere else.
 * A command joins it with `[...enter, program, ...args]`.
 */
export interface LoopbackNamespace extends AsyncDisposable {
  pid: number;
  port: number;
  /** The namespace's interfaces and routes, as the forwarder found them (only lo). */
  interfaces: string[];
  routes: string[];
  /** Prefix that runs a program inside the namespace. */
  enter: string[];
  close(): Promise<void>;
}

export async function startLoopbackNamespace(socketPath: string): Promise<LoopbackNamespace> {
  const child: ChildProcess = spawn('unshare', ['-n', process.execPath, FORWARDER, socketPath], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = await new Promise<{ port: number; interfaces: string[]; routes: string[] }>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) resolve(JSON.parse(line) as { port: number; interfaces: string[]; routes: string[] });
    });
    child.once('exit', (code) => reject(new Error(`loopback forwarder exited with ${code}: ${stderr.trim()}`)));
    child.once('error', reject);
  });
  const pid = child.pid ?? 0;
  const close = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.stdin?.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 2_000);
    await exited;
    clearTimeout(timer);
  };
  return {
    pid,
    ...ready,
    enter: ['nsenter', `--net=/proc/${pid}/ns/net`, '--'],
    close,
    [Symbol.asyncDispose]: close,
  };
}
