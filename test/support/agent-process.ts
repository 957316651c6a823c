import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../packages/cli/bin/onsembl.js', import.meta.url));

export interface AgentProcess extends AsyncDisposable {
  child: ChildProcess;
  /** Everything the process printed on stderr (its pino log). */
  stderr(): string;
  exited: Promise<number | null>;
}

/** Starts a real `onsembl agent` process (the built CLI). Killed on dispose. */
export function spawnAgent(url: string, token: string, args: string[] = []): AgentProcess {
  // The token in the environment, never on the command line (where `ps` shows it).
  const child = spawn(process.execPath, [CLI, 'agent', '--url', url, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SHELL: '/bin/bash', ONSEMBL_TOKEN: token },
  });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout?.resume();
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    stderr: () => err,
    exited,
    async [Symbol.asyncDispose]() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}
