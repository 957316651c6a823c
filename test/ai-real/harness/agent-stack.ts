import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { CLI } from '../../support/agent-process.js';
import { startTestServer, type TestServer } from '../../support/test-server.js';
import { openDashboard, type TestSocket } from '../../support/test-socket.js';
import { startCliSandbox, type CliSandbox, type CliSandboxOptions } from './cli-sandbox.js';
import type { AiCli } from './installed-clis.js';
import { isFinal } from '../../support/ai-runs.js';

type Message = TestSocket['messages'][number];

export interface StackOptions {
  /** Extra `onsembl agent` arguments (e.g. --model, --permission-mode). */
  agentArgs?: string[];
  sandbox?: CliSandboxOptions;
}

export interface PromptRun {
  commandId: string;
  /** The final command:status message. */
  final: Message;
  /** Every message the dashboard got about the command, in order. */
  messages: Message[];
}

/**
 * A real server (SQLite in a temp dir), two ws dashboards, and a real `onsembl agent --type CLI`
 * process whose `--cli` is the sandbox's wrapper: the pinned CLI inside its loopback-only namespace,
 * talking to the fake model API.
 */
export interface AiStack extends AsyncDisposable {
  cli: AiCli;
  agentId: string;
  box: CliSandbox;
  server: TestServer;
  dashboard: TestSocket;
  watcher: TestSocket;
  agent: ChildProcess;
  agentLog(): string;
  /** Sends a prompt as command:request and returns its id once queued. */
  send(prompt: string, extra?: Record<string, unknown>): Promise<string>;
  /** Waits for the command's final status and collects what the dashboard got about it. */
  settle(commandId: string, dashboard?: TestSocket): Promise<PromptRun>;
  /** send + settle. */
  prompt(prompt: string, extra?: Record<string, unknown>): Promise<PromptRun>;
  /** GET from the REST API with the dashboard's token. */
  rest<T = unknown>(path: string): Promise<T>;
  close(): Promise<void>;
}


export async function startAiStack(cli: AiCli, options: StackOptions = {}): Promise<AiStack> {
  const box = await startCliSandbox(cli, options.sandbox);
  const server = await startTestServer();
  const token = await server.dashboardToken('alice');
  const dashboard = await openDashboard(server.wsUrl, token);
  const watcher = await openDashboard(server.wsUrl, await server.dashboardToken('bob'));
  const agentId = `ai-${cli}`;
  const agent = spawn(
    process.execPath,
    [CLI, 'agent', '--url', server.wsUrl, '--name', `${cli} under test`, '--type', cli, '--cli', box.wrapper, '--cwd', box.work, ...(options.agentArgs ?? [])],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      // A minimal environment: nothing of the developer's shell (API keys, CLI config) reaches the
      // agent or the CLI; the wrapper sets what the CLI needs.
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: box.home,
        LANG: 'C.UTF-8',
        SHELL: '/bin/bash',
        ONSEMBL_AGENT_TOKEN: await server.agentToken(agentId),
      },
    },
  );
  let log = '';
  agent.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  agent.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  const agentExited = new Promise<void>((resolve) => agent.once('exit', () => resolve()));

  const close = async () => {
    if (agent.exitCode === null && agent.signalCode === null) {
      agent.kill('SIGTERM');
      const timer = setTimeout(() => agent.kill('SIGKILL'), 5_000);
      await agentExited;
      clearTimeout(timer);
    }
    await watcher[Symbol.asyncDispose]();
    await dashboard[Symbol.asyncDispose]();
    await server.close();
    await box.close();
  };

  try {
    await dashboard.waitFor('agent:status', (p) => {
      const a = p.agent as { id: string; status: string };
      return a.id === agentId && a.status === 'online';
      // The agent asks the CLI for --version before it connects: a Node CLI's start (Gemini's bundle)
      // takes seconds on a loaded machine.
    }, 90_000);
  } catch (error) {
    await close();
    throw new Error(`agent ${agentId} did not come online: ${String(error)}\nagent log:\n${log.slice(-3000)}`);
  }

  let requests = 0;
  const send = async (prompt: string, extra: Record<string, unknown> = {}) => {
    const requestId = `req-${++requests}`;
    dashboard.send('command:request', { agentId, command: prompt, priority: 'normal', requestId, ...extra });
    const queued = await dashboard.waitFor('command:status', (p) => p.requestId === requestId);
    if (queued.payload.status !== 'queued' && queued.payload.status !== 'running') {
      throw new Error(`request ${requestId} was not queued: ${JSON.stringify(queued.payload)}`);
    }
    return queued.payload.commandId as string;
  };
  const settle = async (commandId: string, socket = dashboard): Promise<PromptRun> => {
    const final = await socket.waitFor('command:status', (p) => p.commandId === commandId && isFinal(p.status), 60_000);
    const messages = socket.messages.filter((m) => (m.payload as { commandId?: string }).commandId === commandId);
    return { commandId, final, messages };
  };
  return {
    cli,
    agentId,
    box,
    server,
    dashboard,
    watcher,
    agent,
    agentLog: () => log,
    send,
    settle,
    prompt: async (prompt, extra) => settle(await send(prompt, extra)),
    async rest<T>(path: string) {
      const res = await fetch(`${server.httpUrl}${path}`, { headers: { Authorization: `Bearer ${token}` } });
      if (res.status !== 200) throw new Error(`GET ${path}: HTTP ${res.status} ${await res.text()}`);
      return (await res.json()) as T;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** The terminal text of a command, as the dashboard received it. */
export const terminalText = (run: PromptRun) =>
  run.messages.filter((m) => m.type === 'terminal:output').map((m) => m.payload.data as string).join('');

/** The trace events of a command, as the dashboard received them, in sequence order. */
export const traceEvents = (run: PromptRun) =>
  run.messages
    .filter((m) => m.type === 'trace:event')
    .map((m) => m.payload as { sequence: number; event: Record<string, unknown> & { kind: string } })
    .sort((a, b) => a.sequence - b.sequence);

/** Terminal text without colours and cursor controls. */
export const plain = (text: string) => text.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');

/**
 * Processes still alive that belong to a run in `dir`: anything whose working directory is inside it
 * (the CLI and the commands its tools started). The agent itself runs elsewhere.
 */
export function processesIn(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cwd = readlinkSync(`/proc/${entry}/cwd`);
      if (cwd !== dir && !cwd.startsWith(`${dir}/`)) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (/^\d+ \(.*\) Z /.test(stat)) continue; // a zombie has ended
      found.push(`${entry} ${readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ').trim()}`);
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return found;
}
