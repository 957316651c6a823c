import { execFile, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CLI } from '../support/agent-process.js';
import { freePort } from '../support/server-process.js';
import { tempDir } from '../support/temp-dir.js';
import { TEST_SECRET } from '../support/test-server.js';

const run = promisify(execFile);
const baseEnv = () => ({
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ONSEMBL_'))),
  ONSEMBL_JWT_SECRET: TEST_SECRET,
});

/** `onsembl server ARGS` until it answers /health on one of `ports`; returns that port and its output. */
async function serverOn(args: string[], env: NodeJS.ProcessEnv, ports: number[]): Promise<{ port: number; output: string }> {
  const child = spawn(process.execPath, [CLI, 'server', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const answering = async () => {
      for (const port of ports) if (await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok, () => false)) return port;
      if (child.exitCode !== null) throw new Error(`server exited: ${output}`);
      return undefined;
    };
    let port: number | undefined;
    await expect.poll(async () => (port = await answering()), { timeout: 20_000, interval: 100 }).toBeDefined();
    child.kill('SIGTERM');
    await exited;
    // Everything it printed, up to its last line ('onsembl server stopped').
    return { port: port as number, output };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

describe('onsembl server --config', () => {
  it('a YAML file, then ONSEMBL_* variables, then flags: each overrides the one before', async () => {
    await using dir = await tempDir();
    const [fromFile, fromEnv, fromFlag] = await Promise.all([freePort(), freePort(), freePort()]);
    const config = join(dir.path, 'server.yaml');
    writeFileSync(config, `# Onsembl server\nport: ${fromFile}\ndataDir: data\nlogLevel: info\n`);
    const ports = [fromFile, fromEnv, fromFlag];
    expect((await serverOn(['--config', config], baseEnv(), ports)).port).toBe(fromFile);
    const env = { ...baseEnv(), ONSEMBL_PORT: String(fromEnv) };
    expect((await serverOn(['--config', config], env, ports)).port).toBe(fromEnv);
    const flagged = await serverOn(['--config', config, '--port', String(fromFlag)], env, ports);
    expect(flagged.port).toBe(fromFlag);
    // dataDir came from the file, relative to it.
    expect(flagged.output).toContain(JSON.stringify(join(dir.path, 'data')));
  });

  it('a JSON file works the same', async () => {
    await using dir = await tempDir();
    const port = await freePort();
    const config = join(dir.path, 'server.json');
    writeFileSync(config, JSON.stringify({ port, dataDir: join(dir.path, 'd') }));
    expect((await serverOn(['--config', config], baseEnv(), [port])).port).toBe(port);
  });

  it('refuses an unknown key or a bad value at start, one line naming it and what is allowed (exit 2)', async () => {
    await using dir = await tempDir();
    const config = join(dir.path, 'server.yaml');
    writeFileSync(config, 'prot: 3001\n');
    const unknown = await run(process.execPath, [CLI, 'server', '--config', config], { env: baseEnv() }).catch((e: { code: number; stderr: string }) => e);
    expect(unknown).toMatchObject({ code: 2 });
    const line = (unknown as { stderr: string }).stderr.trim();
    expect(line.split('\n')).toHaveLength(1);
    expect(line).toMatch(new RegExp(`^onsembl: unknown key "prot" in ${config} \\(did you mean "port"\\?\\); allowed: port, host, dataDir, `));

    writeFileSync(config, 'logLevel: loud\n');
    const bad = await run(process.execPath, [CLI, 'server', '--config', config], { env: baseEnv() }).catch((e: { code: number; stderr: string }) => e);
    expect(bad).toMatchObject({ code: 2 });
    expect((bad as { stderr: string }).stderr.trim()).toBe(`onsembl: "logLevel" in ${config}: must be trace, debug, info, warn, error, fatal, silent (got "loud")`);

    const badEnv = await run(process.execPath, [CLI, 'server'], { env: { ...baseEnv(), ONSEMBL_HEARTBEAT_TIMEOUT_MS: 'soon' } }).catch((e: { code: number; stderr: string }) => e);
    expect(badEnv).toMatchObject({ code: 2 });
    expect((badEnv as { stderr: string }).stderr.trim()).toBe('onsembl: ONSEMBL_HEARTBEAT_TIMEOUT_MS: must be a positive integer (got "soon")');
  });

  it('every flag of onsembl server and onsembl up is a config key (nothing is flag-only)', async () => {
    const { SERVER_SETTINGS, SETTING_KEYS } = await import('../../packages/cli/src/config/server-settings.js');
    const settingFlags = new Set(SETTING_KEYS.map((k) => SERVER_SETTINGS[k].flag));
    for (const [command, own] of [['server', []], ['up', ['--no-agent', '--dashboard-ttl']]] as const) {
      const { stdout } = await run(process.execPath, [CLI, command, '--help'], { env: baseEnv() });
      const flags = [...stdout.matchAll(/^\s+(?:-\w, )?(--[a-z-]+)/gm)].map((m) => m[1] as string);
      expect(flags.length).toBeGreaterThan(10);
      for (const flag of flags) {
        if (flag === '--help' || flag === '--config' || (own as readonly string[]).includes(flag)) continue;
        expect(settingFlags, `${command} ${flag} has no config key`).toContain(flag);
      }
    }
  });

  it('logs are pino JSON by default and readable text with --log-format pretty', async () => {
    await using dir = await tempDir();
    const port = await freePort();
    const json = await serverOn(['--port', String(port), '--data-dir', dir.path], baseEnv(), [port]);
    const lines = json.output.trim().split('\n');
    for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
    expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toContain('onsembl server listening');

    const pretty = await serverOn(['--port', String(port), '--data-dir', dir.path, '--log-format', 'pretty'], baseEnv(), [port]);
    const listening = pretty.output.split('\n').find((l) => l.includes('onsembl server listening')) as string;
    expect(listening).toBeDefined();
    expect(listening.trimStart().startsWith('{')).toBe(false);
    expect(listening).toMatch(/INFO/);
  });
});
