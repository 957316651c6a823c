import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const NGINX = '/usr/sbin/nginx';
/** The configuration docs/deploy.md gives, tested as is but for its addresses, ports and paths. */
export const NGINX_CONF = fileURLToPath(new URL('../../deploy/nginx/onsembl.conf', import.meta.url));

/** Whether nginx is here; without it the proxy tests skip with one loud line, and under CI fail. */
export function nginxAvailable(): boolean {
  if (existsSync(NGINX)) return true;
  const line = `nginx not found at ${NGINX}: the proxy tests skip (apt-get install nginx)`;
  if (process.env.CI) throw new Error(`${line}; CI must run them`);
  console.warn(`SKIP: ${line}`);
  return false;
}

/** Replaces `from` by `to` in `text`, failing when it is not there (the tested file changed under the test). */
export function replaceIn(text: string, from: RegExp, to: string): string {
  if (!from.test(text)) throw new Error(`${NGINX_CONF} no longer has ${String(from)}`);
  return text.replace(new RegExp(from.source, from.flags.includes('g') ? from.flags : `${from.flags}g`), to);
}

export interface Nginx extends AsyncDisposable {
  prefix: string;
  child: ChildProcess;
  errorLog(): string;
  accessLog(): string;
}

/**
 * nginx as this test's own process: its own prefix, pid file, logs and temp paths in a temp dir, in
 * the foreground (`daemon off`), stopped on dispose. `site(prefix)` is what goes in its http {} block.
 */
export async function startNginx(site: (prefix: string) => string, options: { extraHttp?: string } = {}): Promise<Nginx> {
  const prefix = mkdtempSync(join(tmpdir(), 'onsembl-nginx-'));
  for (const dir of ['logs', 'tmp']) mkdirSync(join(prefix, dir));
  writeFileSync(join(prefix, 'onsembl.conf'), site(prefix));
  writeFileSync(join(prefix, 'nginx.conf'), [
    // Run as root (the sandbox's user), nginx would hand its workers to "nobody", who cannot reach
    // this private temp dir: the workers stay this user.
    ...(process.getuid?.() === 0 ? ['user root;'] : []),
    'worker_processes 1;',
    `pid ${join(prefix, 'nginx.pid')};`,
    `error_log ${join(prefix, 'logs', 'error.log')} info;`,
    'events { worker_connections 512; }',
    'http {',
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${join(prefix, 'tmp', t)};`),
    options.extraHttp ?? '',
    `  include ${join(prefix, 'onsembl.conf')};`,
    '}',
    '',
  ].join('\n'));
  const child = spawn(NGINX, ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-g', 'daemon off;'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const read = (name: string) => {
    try {
      return readFileSync(join(prefix, 'logs', name), 'utf8');
    } catch {
      return '';
    }
  };
  // Started once its pid file is written (after the config was accepted and the port bound).
  for (const deadline = Date.now() + 15_000; !existsSync(join(prefix, 'nginx.pid')); ) {
    if (child.exitCode !== null) throw new Error(`nginx exited: ${out}${read('error.log')}`);
    if (Date.now() > deadline) throw new Error(`nginx did not start: ${out}${read('error.log')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    prefix,
    child,
    errorLog: () => read('error.log'),
    accessLog: () => read('access.log'),
    async [Symbol.asyncDispose]() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(prefix, { recursive: true, force: true });
    },
  };
}
