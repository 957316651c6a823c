import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClientConfigError, dashboardUrlOf, resolveClientConfig } from './client-config.js';

describe('client config: flags > environment > config file', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const file = (name: string, text: string, mode = 0o600) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    chmodSync(path, mode);
    return path;
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'onsembl-config-'));
    env = { XDG_CONFIG_HOME: dir };
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('defaults to the local server and needs a token from somewhere', () => {
    expect(() => resolveClientConfig({}, env)).toThrow(/no dashboard token.*onsembl token --role dashboard/);
    expect(resolveClientConfig({}, { ...env, ONSEMBL_TOKEN: 'envtoken' })).toMatchObject({
      dashboardUrl: 'ws://127.0.0.1:3001/ws/dashboard', token: 'envtoken', urlSource: 'the default', tokenSource: 'ONSEMBL_TOKEN', warnings: [],
    });
  });

  it('reads the default file, lets the environment override it, and flags override both', () => {
    mkdirSync(join(dir, 'onsembl'));
    file('file.token', 'filetoken\n');
    file('onsembl/client.yaml', `url: https://file.example\ntokenFile: ../file.token\n`);
    expect(resolveClientConfig({}, env)).toMatchObject({ dashboardUrl: 'wss://file.example/ws/dashboard', token: 'filetoken' });
    const withEnv = { ...env, ONSEMBL_URL: 'http://env.example:8080', ONSEMBL_TOKEN: 'envtoken' };
    expect(resolveClientConfig({}, withEnv)).toMatchObject({ dashboardUrl: 'ws://env.example:8080/ws/dashboard', token: 'envtoken', urlSource: 'ONSEMBL_URL' });
    const flagToken = file('flag.token', 'flagtoken');
    expect(resolveClientConfig({ url: 'ws://flag.example', tokenFile: flagToken }, withEnv)).toMatchObject({
      dashboardUrl: 'ws://flag.example/ws/dashboard', token: 'flagtoken', urlSource: '--url',
    });
  });

  it('takes JSON as well, refuses unknown keys and non-strings by name, and a missing --config file', () => {
    const json = file('c.json', JSON.stringify({ url: 'ws://j.example', token: 'jsontoken' }));
    expect(resolveClientConfig({ config: json }, env)).toMatchObject({ dashboardUrl: 'ws://j.example/ws/dashboard', token: 'jsontoken' });
    expect(() => resolveClientConfig({ config: file('u.yaml', 'url: ws://x\ncolor: red\n') }, env)).toThrow('unknown key "color"');
    expect(() => resolveClientConfig({ config: file('n.yaml', 'url: 3\n') }, env)).toThrow('"url" in');
    expect(() => resolveClientConfig({ config: join(dir, 'missing.yaml') }, env)).toThrow(ClientConfigError);
  });

  it('warns about --token, a token file others can read, and a readable config file holding a token', () => {
    expect(resolveClientConfig({ token: 't' }, env).warnings).toEqual([expect.stringContaining('visible to every user')]);
    const loose = file('loose.token', 'loose', 0o644);
    expect(resolveClientConfig({ tokenFile: loose }, env).warnings).toEqual([expect.stringContaining('chmod 600')]);
    expect(resolveClientConfig({ config: file('t.yaml', 'token: t\n', 0o644) }, env).warnings).toEqual([expect.stringContaining('holds a token')]);
    expect(() => resolveClientConfig({ tokenFile: file('empty.token', '\n') }, env)).toThrow('is empty');
    expect(() => resolveClientConfig({ token: 'a', tokenFile: loose }, env)).toThrow('not both');
  });

  it('reads the CA named by --ca or by the file (relative to it), and refuses a missing or non-PEM one', () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    file('ca.pem', pem);
    const config = file('c.yaml', 'token: t\nca: ca.pem\n');
    expect(resolveClientConfig({ config }, env).ca?.toString()).toBe(pem);
    expect(resolveClientConfig({ token: 't', ca: join(dir, 'ca.pem') }, env).ca?.toString()).toBe(pem);
    expect(resolveClientConfig({ token: 't' }, env).ca).toBeUndefined();
    expect(() => resolveClientConfig({ token: 't', ca: join(dir, 'none.pem') }, env)).toThrow('cannot read the CA certificate');
    expect(() => resolveClientConfig({ token: 't', ca: file('junk.pem', 'junk') }, env)).toThrow('holds no PEM certificate');
  });

  it('turns any server address into the dashboard endpoint, keeping a proxy prefix', () => {
    expect(dashboardUrlOf('ws://h:3001', 'x')).toBe('ws://h:3001/ws/dashboard');
    expect(dashboardUrlOf('https://h/onsembl/', 'x')).toBe('wss://h/onsembl/ws/dashboard');
    expect(dashboardUrlOf('wss://h/ws/dashboard?token=no', 'x')).toBe('wss://h/ws/dashboard');
    expect(() => dashboardUrlOf('ws://h/ws/agent', 'x')).toThrow('agent endpoint');
    expect(() => dashboardUrlOf('h:3001', '--url')).toThrow('--url');
  });
});
