import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pty from 'node-pty';
import { TokenService } from '@onsembl/server';
import { CLI, spawnAgent, type AgentProcess } from './agent-process.js';
import { spawnServer, type ServerProcess } from './server-process.js';
import { tempDir, type TempDir } from './temp-dir.js';
import { TEST_SECRET } from './test-server.js';

export const tokens = new TokenService(TEST_SECRET);

/** This test process's environment without anything that would point the client elsewhere. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('ONSEMBL_')));
  return { ...env, ...extra };
}

/** Writes a token file with mode 0600 and returns its path. */
export function writeTokenFile(dir: string, name: string, token: string): string {
  const path = join(dir, name);
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return path;
}

export interface ClientStack extends AsyncDisposable {
  dir: TempDir;
  server: ServerProcess;
  agent: AgentProcess;
  agentName: string;
  tokenFile: string;
  /** Environment that points the client at this server with a dashboard token file (and no user config). */
  env: NodeJS.ProcessEnv;
  /** GET on the REST API with a dashboard token. */
  api<T>(path: string): Promise<T>;
  /** Replaces the server process (same data dir, same port): SIGKILL or SIGTERM first; `whileDown` runs in between. */
  restart(signal: 'SIGKILL' | 'SIGTERM', whileDown?: () => void): Promise<void>;
}

/** A real `onsembl server` process and a real `onsembl agent` process, online, with a dashboard token file. */
export async function startClientStack(agentName = 'worker'): Promise<ClientStack> {
  const dir = await tempDir('onsembl-cli-');
  let server = await spawnServer(dir.path);
  const agent = spawnAgent(server.wsUrl, await tokens.issue('agent', agentName), ['--name', agentName]);
  const tokenFile = writeTokenFile(dir.path, 'dashboard.token', await tokens.issue('dashboard', 'ci'));
  const env = () => cleanEnv({ ONSEMBL_URL: server.wsUrl, ONSEMBL_TOKEN_FILE: tokenFile, XDG_CONFIG_HOME: dir.path });
  const stack: ClientStack = {
    dir,
    get server() {
      return server;
    },
    agent,
    agentName,
    tokenFile,
    get env() {
      return env();
    },
    async api<T>(path: string): Promise<T> {
      const res = await fetch(`${server.httpUrl}${path}`, { headers: { Authorization: `Bearer ${await tokens.issue('dashboard', 'test')}` } });
      if (!res.ok) throw new Error(`GET ${path}: ${res.status}`);
      return (await res.json()) as T;
    },
    async restart(signal, whileDown) {
      const exited = new Promise((resolve) => server.child.once('exit', resolve));
      server.child.kill(signal);
      await exited;
      whileDown?.();
      server = await spawnServer(dir.path, [], {}, server.port);
    },
    async [Symbol.asyncDispose]() {
      await agent[Symbol.asyncDispose]();
      await server[Symbol.asyncDispose]();
      await dir[Symbol.asyncDispose]();
    },
  };
  await waitUntil(async () => (await stack.api<{ agents: Array<{ name: string; status: string }> }>('/api/agents')).agents.some((a) => a.name === agentName && a.status === 'online'), 'the agent online').catch((error: unknown) => {
    throw new Error(`${(error as Error).message}; agent said: ${agent.stderr()}`);
  });
  return stack;
}

/** Polls `check` until it is true (no fixed sleeps in tests). */
export async function waitUntil(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; ; ) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export interface CliProcess {
  child: ChildProcess;
  /** Everything written to stdout so far, as bytes. */
  stdout(): Buffer;
  stderr(): string;
  /** The exit code (a signal death is reported as 128 + its number by the shell; here as null). */
  exited: Promise<number | null>;
}

/** Starts `onsembl ARGS` with pipes for stdin, stdout and stderr (none of them a terminal). */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv): CliProcess {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env });
  const out: Buffer[] = [];
  let err = '';
  child.stdout?.on('data', (d: Buffer) => out.push(d));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return { child, stdout: () => Buffer.concat(out), stderr: () => err, exited };
}

export interface CliResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs `onsembl ARGS` to its end; stdin is closed at once. */
export async function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  const cli = spawnCli(args, env);
  cli.child.stdin?.end();
  const code = await cli.exited;
  return { code, stdout: cli.stdout(), stderr: cli.stderr() };
}

export interface PtyProcess extends Disposable {
  /** Everything the terminal showed (stdout and stderr together, as a terminal gets them). */
  output(): string;
  write(data: string): void;
  exited: Promise<number>;
}

/** Starts `onsembl ARGS` on a pseudo-terminal, as a user at a shell prompt would. */
export function spawnCliOnPty(args: string[], env: NodeJS.ProcessEnv): PtyProcess {
  const term = pty.spawn(process.execPath, [CLI, ...args], { name: 'xterm-256color', cols: 200, rows: 40, env });
  let out = '';
  term.onData((data) => (out += data));
  const exited = new Promise<number>((resolve) => term.onExit(({ exitCode }) => resolve(exitCode)));
  let done = false;
  void exited.then(() => (done = true));
  return {
    output: () => out,
    write: (data) => term.write(data),
    exited,
    [Symbol.dispose]() {
      if (!done) term.kill('SIGKILL');
    },
  };
}
