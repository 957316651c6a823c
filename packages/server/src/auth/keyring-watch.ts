import type { Logger } from 'pino';
import { keyringStamp, loadKeyring } from './keyring.js';
import type { TokenService } from './tokens.js';

/**
 * A running server picks up `onsembl secret rotate` by itself: it looks at the secret files every
 * `intervalMs` (a stat of two files) and takes the new keyring when either was replaced. A keyring
 * it cannot read is logged and the one it has is kept.
 */
export function watchKeyring(dataDir: string, tokens: TokenService, intervalMs: number, logger: Logger): () => void {
  let seen = keyringStamp(dataDir);
  const timer = setInterval(() => {
    const stamp = keyringStamp(dataDir);
    if (stamp === seen) return;
    seen = stamp;
    try {
      const keyring = loadKeyring(dataDir);
      tokens.setKeyring(keyring);
      const retiredUntil = keyring.previous.map((r) => new Date(r.until).toISOString());
      logger.info({ retiredUntil }, 'JWT secret rotated: new tokens are signed with the new secret; the retired ones verify until their grace ends');
    } catch (err) {
      logger.warn({ error: (err as Error).message }, 'the JWT secret files changed but cannot be read: keeping the secrets in use');
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
