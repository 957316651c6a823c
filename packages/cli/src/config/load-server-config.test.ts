import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadServerSettings, readServerConfigFile, ServerConfigError } from './load-server-config.js';
import { envName, SERVER_SETTINGS, SETTING_KEYS } from './server-settings.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function file(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'onsembl-config-'));
  dirs.push(dir);
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const refusal = (run: () => unknown): string => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ServerConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ServerConfigError');
};

describe('server settings: file, then environment, then flags', () => {
  it('each source overrides the one before, key by key; defaults fill the rest', () => {
    const config = file('server.yaml', 'port: 4000\nhost: 0.0.0.0\nlogLevel: debug\nheartbeatTimeoutMs: 90000\n');
    const settings = loadServerSettings({ config, port: '4002' }, { ONSEMBL_PORT: '4001', ONSEMBL_HOST: '::1' });
    expect(settings).toMatchObject({
      port: 4002, host: '::1', logLevel: 'debug', heartbeatTimeoutMs: 90000, logFormat: 'json', trustProxy: false, metricsAuth: 'token',
    });
    expect(loadServerSettings({ config }, { ONSEMBL_PORT: '4001' }).port).toBe(4001);
    expect(loadServerSettings({ config }, {}).port).toBe(4000);
    expect(loadServerSettings({}, {}).port).toBe(3001);
  });

  it('reads JSON and YAML alike; lists from YAML, from a comma-separated variable, from repeated flags', () => {
    const json = file('server.json', JSON.stringify({ allowOrigins: ['https://a.example', 'https://b.example'], trustProxy: true }));
    expect(readServerConfigFile(json)).toEqual({ allowOrigins: ['https://a.example', 'https://b.example'], trustProxy: true });
    const yaml = file('server.yml', 'allowOrigins:\n  - https://a.example\ntrustProxy: true\n');
    expect(readServerConfigFile(yaml)).toEqual({ allowOrigins: ['https://a.example'], trustProxy: true });
    expect(loadServerSettings({}, { ONSEMBL_ALLOW_ORIGINS: 'https://x.example, https://y.example' }).allowOrigins)
      .toEqual(['https://x.example', 'https://y.example']);
    expect(loadServerSettings({ allowOrigins: ['https://f.example', 'https://g.example'] }, {}).allowOrigins)
      .toEqual(['https://f.example', 'https://g.example']);
    expect(loadServerSettings({ trustProxy: true }, { ONSEMBL_TRUST_PROXY: 'false' }).trustProxy).toBe(true);
    expect(loadServerSettings({}, { ONSEMBL_TRUST_PROXY: 'false' }).trustProxy).toBe(false);
  });

  it('relative paths in a file are relative to the file; in variables, to the working directory', () => {
    const config = file('server.yaml', 'dataDir: data\ntlsCert: tls/cert.pem\ntlsKey: /etc/onsembl/key.pem\n');
    const dir = config.slice(0, config.lastIndexOf('/'));
    expect(readServerConfigFile(config)).toEqual({ dataDir: join(dir, 'data'), tlsCert: join(dir, 'tls/cert.pem'), tlsKey: '/etc/onsembl/key.pem' });
    expect(loadServerSettings({}, { ONSEMBL_DATA_DIR: 'here' }).dataDir).toBe(join(process.cwd(), 'here'));
  });

  it('refuses an unknown key with its name, a suggestion and the allowed keys', () => {
    const config = file('server.yaml', 'port: 1\nheartbeatTimeout: 5000\n');
    const message = refusal(() => readServerConfigFile(config));
    expect(message).toContain(`unknown key "heartbeatTimeout" in ${config}`);
    expect(message).toContain('did you mean "heartbeatTimeoutMs"?');
    expect(message).toContain(`allowed: ${SETTING_KEYS.join(', ')}`);
  });

  it.each([
    ['port: 70000', '"port"', 'an integer from 0 to 65535', '70000'],
    ['port: "3001"', '"port"', 'an integer from 0 to 65535', '"3001"'],
    ['logLevel: loud', '"logLevel"', 'trace, debug, info, warn, error, fatal, silent', '"loud"'],
    ['logFormat: xml', '"logFormat"', 'json, pretty', '"xml"'],
    ['trustProxy: maybe', '"trustProxy"', 'true or false', '"maybe"'],
    ['heartbeatTimeoutMs: -5', '"heartbeatTimeoutMs"', 'a positive integer', '-5'],
    ['metricsAuth: off', '"metricsAuth"', 'token, none', '"off"'],
    ['allowOrigins: https://one.example', '"allowOrigins"', 'a list of Origins like https://ops.example.com, or *', '"https://one.example"'],
  ])('refuses a bad value in the file: %s', (line, key, allowed, got) => {
    const config = file('server.yaml', `${line}\n`);
    const message = refusal(() => readServerConfigFile(config));
    expect(message).toBe(`${key} in ${config}: must be ${allowed} (got ${got})`);
  });

  it('refuses bad values in variables and flags, naming the variable or the flag', () => {
    expect(refusal(() => loadServerSettings({}, { ONSEMBL_PORT: 'http' }))).toBe('ONSEMBL_PORT: must be an integer from 0 to 65535 (got "http")');
    expect(refusal(() => loadServerSettings({}, { ONSEMBL_TRUST_PROXY: 'perhaps' }))).toBe('ONSEMBL_TRUST_PROXY: must be true or false (got "perhaps")');
    expect(refusal(() => loadServerSettings({ heartbeatTimeoutMs: '0' }, {}))).toBe('--heartbeat-timeout: must be a positive integer (got 0)');
    expect(refusal(() => loadServerSettings({ logLevel: 'chatty' }, {}))).toBe('--log-level: must be trace, debug, info, warn, error, fatal, silent (got "chatty")');
  });

  it('refuses a file that is not a mapping, not YAML, or missing; and half a TLS pair from any source', () => {
    expect(refusal(() => readServerConfigFile(file('a.yaml', '- port\n')))).toContain('must be a mapping of settings');
    expect(refusal(() => readServerConfigFile(file('b.json', '{"port": ')))).toContain('is not valid JSON or YAML');
    expect(refusal(() => readServerConfigFile('/nonexistent/onsembl.yaml'))).toBe('cannot read the config file /nonexistent/onsembl.yaml: ENOENT');
    expect(refusal(() => loadServerSettings({}, { ONSEMBL_TLS_CERT: '/c.pem' }))).toContain('--tls-cert and --tls-key');
    expect(readServerConfigFile(file('empty.yaml', ''))).toEqual({});
  });

  it('every setting has a flag and a variable of its own', () => {
    const flags = SETTING_KEYS.map((k) => SERVER_SETTINGS[k].flag);
    expect(new Set(flags).size).toBe(flags.length);
    expect(SETTING_KEYS.map(envName)).toContain('ONSEMBL_DATA_DIR');
  });
});
