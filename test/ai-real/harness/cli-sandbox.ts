import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeApi, type FakeApi, type FakeModelServer } from '../fake-apis/index.js';
import { installedCli, type AiCli } from './installed-clis.js';
import { startLoopbackNamespace, type LoopbackNamespace } from './netns.js';

/** The fake API each CLI is pointed at. */
export const apiOf: Record<AiCli, FakeApi> = { claude: 'anthropic', gemini: 'gemini', codex: 'openai' };

/** A key the fake accepts (or refuses, as scripted); never a real credential. */
export const FAKE_KEY = 'fake-key-for-tests';

/** Codex's model: one its bundled catalogue knows, so it does not warn about missing metadata. */
export const CODEX_MODEL = 'gpt-5.5';

/**
 * Variables a developer's shell may carry that would point a CLI at another account, endpoint or
 * auth method. The wrapper removes them before it sets its own.
 */
const FOREIGN_VARIABLES = [
  'ANTHROPIC_AUTH_TOKEN',
  'ANTHROPIC_API_KEY',
  'ANTHROPIC_BASE_URL',
  'ANTHROPIC_MODEL',
  'CLAUDE_CODE_USE_BEDROCK',
  'CLAUDE_CODE_USE_VERTEX',
  'CLAUDE_CONFIG_DIR',
  'GEMINI_API_KEY',
  'GOOGLE_API_KEY',
  'GOOGLE_GENAI_USE_VERTEXAI',
  'GOOGLE_GENAI_USE_GCA',
  'GOOGLE_CLOUD_PROJECT',
  'GOOGLE_APPLICATION_CREDENTIALS',
  'OPENAI_API_KEY',
  'OPENAI_BASE_URL',
  'CODEX_HOME',
  'XDG_CONFIG_HOME',
  'XDG_DATA_HOME',
  'XDG_STATE_HOME',
  'XDG_CACHE_HOME',
];

export interface CliSandboxOptions {
  /** Retries the CLI makes on a failed model call (Claude, Codex). Default 0: errors surface at once. */
  retries?: number;
  /** Extra variables the wrapper sets. */
  env?: Record<string, string>;
}

export interface DirectRun {
  child: ChildProcess;
  /** JSON lines parsed so far (non-JSON lines are kept in `stdout`). */
  events: Record<string, unknown>[];
  stdout(): string;
  stderr(): string;
  /** Sends `signal` to the CLI's whole process group. */
  signalGroup(signal: NodeJS.Signals): void;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; durationMs: number }>;
  /** Polls until an event matching `predicate` was printed. */
  waitForEvent(predicate: (e: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
}

/**
 * Everything one test needs to run a real AI CLI offline: a temp HOME (nothing of the user's config
 * is read or written), a work folder, the fake model server, the loopback-only network namespace, and
 * `wrapper`, an executable that runs the pinned CLI inside that namespace with its variables set
 * (pass it to `onsembl agent --cli`).
 */
export interface CliSandbox extends AsyncDisposable {
  cli: AiCli;
  dir: string;
  home: string;
  work: string;
  fake: FakeModelServer;
  ns: LoopbackNamespace;
  wrapper: string;
  /** Runs the wrapper directly (no agent) in `work` with a minimal environment. */
  run(args: string[], extraEnv?: Record<string, string>): DirectRun;
  close(): Promise<void>;
}

const quote = (value: string) => `'${value.replaceAll("'", `'\\''`)}'`;

function cliVariables(cli: AiCli, base: string, home: string, retries: number): Record<string, string> {
  const common: Record<string, string> = {
    HOME: home,
    TMPDIR: join(home, 'tmp'),
    DO_NOT_TRACK: '1',
    NO_UPDATE_NOTIFIER: '1',
  };
  switch (cli) {
    case 'claude':
      return {
        ...common,
        ANTHROPIC_BASE_URL: base,
        ANTHROPIC_API_KEY: FAKE_KEY,
        DISABLE_TELEMETRY: '1',
        DISABLE_ERROR_REPORTING: '1',
        DISABLE_AUTOUPDATER: '1',
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
        CLAUDE_CODE_MAX_RETRIES: String(retries),
      };
    case 'gemini':
      return {
        ...common,
        GOOGLE_GEMINI_BASE_URL: base,
        GEMINI_API_KEY: FAKE_KEY,
        GEMINI_CLI_TRUST_WORKSPACE: 'true',
        GEMINI_TELEMETRY_ENABLED: 'false',
      };
    case 'codex':
      return { ...common, CODEX_HOME: join(home, '.codex'), FAKE_OPENAI_KEY: FAKE_KEY };
  }
}

async function writeCliConfig(cli: AiCli, home: string, base: string, retries: number): Promise<void> {
  if (cli === 'gemini') {
    await mkdir(join(home, '.gemini'), { recursive: true });
    const settings = {
      // With GOOGLE_GEMINI_BASE_URL alone the CLI picks the "gateway" auth type, which headless
      // mode refuses ("Invalid auth method selected"); an API key against our base URL is what we want.
      security: { auth: { selectedType: 'gemini-api-key' } },
      privacy: { usageStatisticsEnabled: false },
      telemetry: { enabled: false },
    };
    await writeFile(join(home, '.gemini', 'settings.json'), `${JSON.stringify(settings, null, 2)}\n`);
  }
  if (cli === 'codex') {
    await mkdir(join(home, '.codex'), { recursive: true });
    const toml = [
      'model_provider = "fake"',
      `model = "${CODEX_MODEL}"`,
      'check_for_update_on_startup = false',
      '',
      '[analytics]',
      'enabled = false',
      '',
      '[otel]',
      'exporter = "none"',
      '',
      '[model_providers.fake]',
      'name = "fake"',
      `base_url = "${base}/v1"`,
      'wire_api = "responses"',
      'env_key = "FAKE_OPENAI_KEY"',
      `request_max_retries = ${retries}`,
      `stream_max_retries = ${retries}`,
      '',
    ].join('\n');
    await writeFile(join(home, '.codex', 'config.toml'), toml);
  }
}

export async function startCliSandbox(cli: AiCli, options: CliSandboxOptions = {}): Promise<CliSandbox> {
  const bin = installedCli(cli);
  if (!bin) throw new Error(`${cli} is not installed; run .ci/install-ai-clis`);
  const dir = await mkdtemp(join(tmpdir(), `onsembl-ai-${cli}-`));
  const home = join(dir, 'home');
  const work = join(dir, 'work');
  await mkdir(join(home, 'tmp'), { recursive: true });
  await mkdir(work);
  await writeFile(join(work, 'README.md'), '# sample project\n');
  await writeFile(join(work, 'hello.txt'), 'hello from the sandbox\n');
  let fake: FakeModelServer | undefined;
  let ns: LoopbackNamespace | undefined;
  try {
    fake = await startFakeApi(apiOf[cli], dir);
    ns = await startLoopbackNamespace(fake.socketPath);
    const base = `http://127.0.0.1:${ns.port}`;
    const retries = options.retries ?? 0;
    await writeCliConfig(cli, home, base, retries);
    const variables = { ...cliVariables(cli, base, home, retries), ...options.env };
    const wrapper = join(dir, 'bin', cli);
    await mkdir(join(dir, 'bin'));
    const script = [
      '#!/bin/sh',
      `# Runs the pinned ${cli} inside a network namespace that has only loopback (see test/ai-real/README.md).`,
      `exec ${ns.enter.map(quote).join(' ')} env ${FOREIGN_VARIABLES.map((v) => `-u ${v}`).join(' ')} \\`,
      ...Object.entries(variables).map(([k, v]) => `  ${k}=${quote(v)} \\`),
      `  ${quote(bin)} "$@"`,
      '',
    ].join('\n');
    await writeFile(wrapper, script);
    await chmod(wrapper, 0o755);

    const fakeServer = fake;
    const namespace = ns;
    const close = async () => {
      await namespace.close();
      await fakeServer.close();
      await rm(dir, { recursive: true, force: true });
    };
    return {
      cli,
      dir,
      home,
      work,
      fake: fakeServer,
      ns: namespace,
      wrapper,
      run: (args, extraEnv = {}) => runDirect(wrapper, args, work, extraEnv),
      close,
      [Symbol.asyncDispose]: close,
    };
  } catch (error) {
    await ns?.close();
    await fake?.close();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

function runDirect(wrapper: string, args: string[], cwd: string, extraEnv: Record<string, string>): DirectRun {
  const started = Date.now();
  const child = spawn(wrapper, args, {
    cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TERM: 'dumb', LANG: 'C.UTF-8', ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const events: Record<string, unknown>[] = [];
  let out = '';
  let pending = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
    pending += d.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.trim().startsWith('{')) continue;
      try {
        events.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // Not JSON after all: it stays in stdout.
      }
    }
  });
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; durationMs: number }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal, durationMs: Date.now() - started })),
  );
  return {
    child,
    events,
    stdout: () => out,
    stderr: () => err,
    signalGroup(signal) {
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, signal);
        } catch {
          // Already gone.
        }
      }
    },
    done,
    async waitForEvent(predicate, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = events.find(predicate);
        if (found) return found;
        if (Date.now() > deadline || child.exitCode !== null) {
          throw new Error(`no such event within ${timeoutMs} ms (exit ${child.exitCode}); printed:\n${out.slice(-2000)}\nstderr:\n${err.slice(-2000)}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
  };
}
