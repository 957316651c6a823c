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

/**
 * What a TCP connection from inside the namespace to an address off this machine gets: its error
 * code (ENETUNREACH when only loopback exists), or 'connected'. The address is 192.0.2.1 (TEST-NET-1,
 * RFC 5737, never routed), so even a broken namespace sends nothing anywhere real.
 */
export function probeOutside(ns: LoopbackNamespace): string {
  const probe = `const s = require('net').connect(9, '192.0.2.1'); s.on('connect', () => { console.log('connected'); process.exit(0); }); s.on('error', (e) => { console.log(e.code); process.exit(0); }); setTimeout(() => { console.log('timeout'); process.exit(0); }, 3000);`;
  const [command = 'nsenter', ...prefix] = ns.enter;
  const result = spawnSync(command, [...prefix, process.execPath, '-e', probe], { encoding: 'utf8' });
  return result.stdout.trim() || `failed: ${result.stderr.trim()}`;
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
