import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Role } from '@onsembl/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { loadKeyring, rotateSecret } from './keyring.js';
import { TokenService } from './tokens.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const dataDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'onsembl-keyring-'));
  dirs.push(d);
  return d;
};
const OLD = 'old-secret-of-at-least-thirty-two-bytes!!';
const NEW = 'new-secret-of-at-least-thirty-two-bytes!!';

describe('the keyring', () => {
  it('from the environment: ONSEMBL_JWT_SECRET signs, every ONSEMBL_JWT_SECRET_PREVIOUS verifies', async () => {
    const oldToken = await new TokenService(OLD).issue(Role.dashboard, 'u');
    const keyring = loadKeyring(dataDir(), { ONSEMBL_JWT_SECRET: NEW, ONSEMBL_JWT_SECRET_PREVIOUS: `${OLD}, ` });
    const tokens = new TokenService(keyring);
    expect((await tokens.verify(oldToken)).ok).toBe(true);
    const fresh = await tokens.issue(Role.dashboard, 'u');
    expect((await new TokenService(NEW).verify(fresh)).ok).toBe(true);
    expect((await new TokenService(OLD).verify(fresh)).ok).toBe(false);
    expect(() => loadKeyring(dataDir(), { ONSEMBL_JWT_SECRET: NEW, ONSEMBL_JWT_SECRET_PREVIOUS: 'short' })).toThrow('at least 32 bytes');
  });

  it('a retired secret verifies until its grace ends, then fails like any wrong signature; other failures are not retried', async () => {
    const dir = dataDir();
    const before = new TokenService(loadKeyring(dir, {}));
    const oldToken = await before.issue(Role.agent, 'a');
    const now = Date.now();
    const { until } = rotateSecret(dir, 60_000, {}, now);
    expect(until).toBe(now + 60_000);
    const during = new TokenService(loadKeyring(dir, {}, now));
    expect(await during.verify(oldToken, Role.agent)).toMatchObject({ ok: true, token: { sub: 'a' } });
    // A retired key does not change what else is checked: the role still counts.
    expect(await during.verify(oldToken, Role.dashboard)).toMatchObject({ ok: false });
    // Past the grace the keyring no longer holds it, and a service holding it stops using it too.
    expect(loadKeyring(dir, {}, until + 1).previous).toEqual([]);
    during.setKeyring({ current: loadKeyring(dir, {}).current, previous: [{ secret: loadKeyring(dir, {}, now).previous[0]?.secret as string, until: Date.now() - 1 }] });
    expect(await during.verify(oldToken)).toEqual({ ok: false, reason: 'token signature is invalid' });
  });
});
