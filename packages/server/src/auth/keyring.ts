import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writePrivateFile } from './private-file.js';
import { loadOrCreateSecret, SECRET_FILE } from './secret.js';

/** Secrets retired by `onsembl secret rotate`, each verifying tokens until its grace period ends. */
export const PREVIOUS_SECRETS_FILE = 'jwt-secret.previous';

export interface RetiredSecret {
  secret: string;
  /** ms since epoch: tokens signed with it verify until then. */
  until: number;
}

/** The secret that signs, and the retired ones that still verify. */
export interface Keyring {
  current: string;
  previous: RetiredSecret[];
}

function readRetired(dataDir: string): RetiredSecret[] {
  let text: string;
  try {
    text = readFileSync(join(dataDir, PREVIOUS_SECRETS_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const parsed = JSON.parse(text) as unknown;
  if (!Array.isArray(parsed)) throw new Error(`${PREVIOUS_SECRETS_FILE} must hold a list of {secret, until}`);
  return parsed.filter((r): r is RetiredSecret =>
    typeof (r as RetiredSecret).secret === 'string' && (r as RetiredSecret).secret.length >= 32 && Number.isFinite((r as RetiredSecret).until));
}

/**
 * The keyring the server verifies with. From the environment (ONSEMBL_JWT_SECRET, and
 * ONSEMBL_JWT_SECRET_PREVIOUS: a comma-separated list, verifying until removed: several nodes share
 * these, and their operator rolls them), else from the data dir (the secret file and the retired ones
 * `onsembl secret rotate` left, until their grace ends).
 */
export function loadKeyring(dataDir: string, env: NodeJS.ProcessEnv = process.env, now = Date.now()): Keyring {
  const current = loadOrCreateSecret(dataDir, env);
  if (env.ONSEMBL_JWT_SECRET) {
    const previous = (env.ONSEMBL_JWT_SECRET_PREVIOUS ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
    for (const secret of previous) if (Buffer.byteLength(secret) < 32) throw new Error('each ONSEMBL_JWT_SECRET_PREVIOUS secret must be at least 32 bytes');
    return { current, previous: previous.map((secret) => ({ secret, until: Number.POSITIVE_INFINITY })) };
  }
  return { current, previous: readRetired(dataDir).filter((r) => r.until > now) };
}

/**
 * `onsembl secret rotate`: a new secret signs from now on; the old one is retired and still verifies
 * tokens for `graceMs` (retired secrets whose grace is over are dropped). Both files are written with
 * mode 0600, each by a rename, so a server reading them sees the old state or the new.
 */
export function rotateSecret(dataDir: string, graceMs: number, env: NodeJS.ProcessEnv = process.env, now = Date.now()): { until: number } {
  if (env.ONSEMBL_JWT_SECRET) {
    throw new Error('the secret comes from ONSEMBL_JWT_SECRET: put the new one there and the old one in ONSEMBL_JWT_SECRET_PREVIOUS, restart, and remove it once the grace period is over');
  }
  if (!Number.isFinite(graceMs) || graceMs < 0) throw new Error('the grace period must be a non-negative number of seconds');
  const old = loadOrCreateSecret(dataDir, env);
  const until = now + graceMs;
  const retired = [...readRetired(dataDir).filter((r) => r.until > now && r.secret !== old), { secret: old, until }];
  // Retired first: a server that reads between the two writes still verifies every token.
  writePrivateFile(join(dataDir, PREVIOUS_SECRETS_FILE), `${JSON.stringify(retired, null, 2)}\n`);
  writePrivateFile(join(dataDir, SECRET_FILE), `${randomBytes(48).toString('base64url')}\n`);
  return { until };
}

/** What changes when either file is replaced: checked by the server's poll. */
export function keyringStamp(dataDir: string): string {
  const stamp = (name: string) => {
    try {
      const s = statSync(join(dataDir, name));
      return `${s.ino}:${s.mtimeMs}:${s.size}`;
    } catch {
      return '-';
    }
  };
  return `${stamp(SECRET_FILE)}|${stamp(PREVIOUS_SECRETS_FILE)}`;
}
