import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { readServerConfigFile } from '../../packages/cli/src/config/load-server-config.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const UNITS = join(ROOT, 'deploy', 'systemd');
const ANALYZE = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((p) => existsSync(p));
if (!ANALYZE) console.warn('SKIP: systemd-analyze not found: the unit files are not verified (apt-get install systemd)');

const work = mkdtempSync(join(tmpdir(), 'onsembl-units-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const runtimeDir = join(work, 'runtime');

/**
 * The unit as shipped, with /opt/onsembl (where docs/deploy.md installs it) pointed at this checkout,
 * so `verify` finds the node and onsembl.js it starts.
 */
function installed(name: string, edit: (text: string) => string = (t) => t): string {
  const path = join(work, name);
  writeFileSync(path, edit(readFileSync(join(UNITS, name), 'utf8').replaceAll('/opt/onsembl', ROOT.replace(/\/$/, '')).replaceAll('/usr/bin/node', process.execPath)));
  return path;
}

/** systemd-analyze's exit code and everything it said: a clean unit says nothing (warnings exit 0 too). */
async function analyze(args: string[], user: boolean): Promise<{ code: number; said: string }> {
  const env = user ? { ...process.env, XDG_RUNTIME_DIR: runtimeDir } : process.env;
  if (user) await run('mkdir', ['-p', '-m', '700', runtimeDir]);
  try {
    const { stdout, stderr } = await run(ANALYZE as string, [...(user ? ['--user'] : []), ...args], { env });
    return { code: 0, said: `${stdout}${stderr}` };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, said: `${e.stdout}${e.stderr}` };
  }
}

const directives = (text: string, key: string) => [...text.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1]);

describe.skipIf(!ANALYZE)('deploy/systemd units (systemd-analyze)', () => {
  it.each([['onsembl-server.service', false], ['onsembl-agent.service', true]] as const)('%s verifies with nothing to say', async (name, user) => {
    const result = await analyze(['verify', installed(name)], user);
    expect(result).toEqual({ code: 0, said: '' });
  });

  it('the check would notice a broken unit (a bad value, an unknown key, a missing program)', async () => {
    const bad = await analyze(['verify', installed('onsembl-server.service', (t) => t.replace('NoNewPrivileges=yes', 'NoNewPrivileges=maybe\nProtectEverything=yes'))], false);
    expect(bad.said).toContain('Failed to parse boolean value');
    expect(bad.said).toContain("Unknown key 'ProtectEverything'");
    const missing = await analyze(['verify', installed('onsembl-server.service', (t) => t.replace(/^ExecStart=\S+/m, 'ExecStart=/nonexistent/node'))], false);
    expect(missing.code).not.toBe(0);
    expect(missing.said).toContain('/nonexistent/node is not executable');
  });

  it('the server unit is hardened: exposure under 2 (systemd-analyze security), the data dir its only writable path', async () => {
    const unit = installed('onsembl-server.service');
    const security = await analyze(['security', '--offline=true', '--threshold=20', unit], false);
    const exposure = Number(/Overall exposure level for onsembl-server\.service: ([\d.]+)/.exec(security.said)?.[1]);
    expect(exposure).toBeLessThan(2);
    const text = readFileSync(join(UNITS, 'onsembl-server.service'), 'utf8');
    for (const [key, value] of [['NoNewPrivileges', 'yes'], ['PrivateTmp', 'yes'], ['ProtectSystem', 'strict'], ['ProtectHome', 'yes'], ['CapabilityBoundingSet', '']]) {
      expect(directives(text, key as string), key).toEqual([value]);
    }
    expect(directives(text, 'ReadWritePaths')).toEqual(['/var/lib/onsembl']);
    expect(text).not.toMatch(/^MemoryDenyWriteExecute=yes/m);
    // The shipped example config is valid and keeps its data where the unit lets it write.
    const config = readServerConfigFile(join(ROOT, 'deploy', 'server.yaml'));
    expect(config.dataDir).toBe('/var/lib/onsembl');
    expect(directives(text, 'ExecStart')[0]).toContain('--config /etc/onsembl/server.yaml');
  });

  it('the agent unit reads its token from a file, writes only to the home dir, and does not loop on a refused token', () => {
    const text = readFileSync(join(UNITS, 'onsembl-agent.service'), 'utf8');
    const exec = directives(text, 'ExecStart')[0] as string;
    expect(exec).toContain('--token-file %E/onsembl/agent.token');
    expect(exec).not.toMatch(/--token(?!-file)/);
    for (const [key, value] of [['NoNewPrivileges', 'yes'], ['PrivateTmp', 'yes'], ['ProtectSystem', 'strict'], ['ReadWritePaths', '%h'], ['RestartPreventExitStatus', '3']]) {
      expect(directives(text, key as string), key).toEqual([value]);
    }
  });
});
