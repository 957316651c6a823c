import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnAgent } from '../support/agent-process.js';
import { cleanEnv, runCli, waitUntil, writeTokenFile } from '../support/cli-client.js';
import { tempDir } from '../support/temp-dir.js';
import { startTestServer } from '../support/test-server.js';
import { makeTestPki } from '../support/tls.js';

const pki = makeTestPki();
afterAll(() => pki[Symbol.dispose]());

/** The terminal client over wss:// and https:// with a private CA (made at test time with openssl). */
describe('onsembl run / agents over TLS', { timeout: 120_000 }, () => {
  it('works with --ca (or the config file\'s ca); without it, or for a certificate of another name, refuses with exit 78', async () => {
    await using dir = await tempDir();
    await using server = await startTestServer({ tls: { cert: pki.cert, key: pki.key } });
    await using _agent = spawnAgent(server.wsUrl, await server.agentToken('tls-worker'), ['--name', 'tls-worker', '--ca', pki.caFile]);
    const env = cleanEnv({ ONSEMBL_URL: server.wsUrl, ONSEMBL_TOKEN_FILE: writeTokenFile(dir.path, 'dash.token', await server.dashboardToken()), XDG_CONFIG_HOME: dir.path });
    await waitUntil(async () => (await runCli(['agents', '--json', '--ca', pki.caFile], env)).stdout.toString().includes('"online"'), 'the agent online over wss');

    const run = await runCli(['run', '--ca', pki.caFile, '--', "printf 'over \\033[32mtls\\033[0m\\n'"], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout.toString()).toBe('over \x1b[32mtls\x1b[0m\r\n');
    const config = join(dir.path, 'client.yaml');
    writeFileSync(config, `ca: ${pki.caFile}\n`);
    expect((await runCli(['history', '--json', '--config', config], env)).code).toBe(0);

    // The system's CAs do not know the private CA: refused, never silently accepted.
    for (const args of [['run', '--', 'echo must-not-run'], ['agents']]) {
      const refused = await runCli(args, env);
      expect(refused.code, args[0]).toBe(78);
      expect(refused.stderr, args[0]).toContain("the server's TLS certificate was refused");
      expect(refused.stderr, args[0]).toContain('--ca FILE');
    }

    // A certificate from the trusted CA, but for another host name.
    await using other = await startTestServer({ tls: { cert: readFileSync(pki.wrongNameCertFile, 'utf8'), key: readFileSync(pki.wrongNameKeyFile, 'utf8') } });
    const mismatch = await runCli(['run', '--url', other.wsUrl, '--ca', pki.caFile, '--', 'true'], env);
    expect(mismatch.code).toBe(78);
    expect(mismatch.stderr).toContain('the certificate is for another host name');
    const missingCa = await runCli(['agents', '--ca', `${dir.path}/nope.pem`], env);
    expect(missingCa.code).toBe(64);
    expect(missingCa.stderr).toContain('cannot read the CA certificate');
  });
});
