import { errors, jwtVerify, SignJWT } from 'jose';
import { Role } from '@onsembl/protocol';
import type { Keyring } from './keyring.js';

export interface VerifiedToken {
  sub: string;
  role: Role;
  /** ms since epoch */
  expiresAt: number;
}

export type VerifyResult = { ok: true; token: VerifiedToken } | { ok: false; reason: string };

export const DEFAULT_TOKEN_TTL_SECONDS = 24 * 3600;

/**
 * Issues and verifies Onsembl's HS256 JWTs: `sub` = identity, `role` = dashboard | agent | metrics,
 * `exp` always. Signs with the current secret; verifies with it, then with retired secrets still in
 * their grace period (secret rotation, see keyring.ts).
 */
export class TokenService {
  private key: Uint8Array;
  private retired: Array<{ key: Uint8Array; until: number }> = [];

  constructor(secret: string | Keyring) {
    this.key = new Uint8Array();
    this.setKeyring(typeof secret === 'string' ? { current: secret, previous: [] } : secret);
  }

  /** Takes a rotated keyring: new tokens are signed with its current secret from now on. */
  setKeyring(keyring: Keyring): void {
    const encode = (secret: string) => new TextEncoder().encode(secret);
    this.key = encode(keyring.current);
    this.retired = keyring.previous.filter((r) => r.secret !== keyring.current).map((r) => ({ key: encode(r.secret), until: r.until }));
  }

  async issue(role: Role, sub: string, ttlSeconds = DEFAULT_TOKEN_TTL_SECONDS): Promise<string> {
    if (!Number.isFinite(ttlSeconds) || ttlSeconds <= 0) throw new Error('ttl must be a positive number of seconds');
    return new SignJWT({ role })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(sub)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + Math.ceil(ttlSeconds))
      .sign(this.key);
  }

  /** Never throws. `expectedRole` refuses a token of the other role. */
  async verify(token: string, expectedRole?: Role): Promise<VerifyResult> {
    try {
      // algorithms pins HS256: `alg: none` and any other algorithm are refused by jose.
      const { payload } = await this.verifyWithAnyKey(token);
      const role = payload.role;
      if (role !== Role.dashboard && role !== Role.agent && role !== Role.metrics) return { ok: false, reason: 'token has no valid role claim' };
      if (expectedRole !== undefined && role !== expectedRole) {
        return { ok: false, reason: `token role "${role}" cannot be used here (needs "${expectedRole}")` };
      }
      if (typeof payload.sub !== 'string' || payload.sub === '') return { ok: false, reason: 'token has no subject' };
      return { ok: true, token: { sub: payload.sub, role, expiresAt: (payload.exp as number) * 1000 } };
    } catch (err) {
      if (err instanceof errors.JWTExpired) return { ok: false, reason: 'token expired' };
      if (err instanceof errors.JWSSignatureVerificationFailed) return { ok: false, reason: 'token signature is invalid' };
      if (err instanceof errors.JOSEAlgNotAllowed) return { ok: false, reason: 'token algorithm is not allowed' };
      if (err instanceof errors.JWTClaimValidationFailed) return { ok: false, reason: `token claim invalid: ${err.claim}` };
      return { ok: false, reason: 'token is malformed' };
    }
  }

  /** The current key first; a signature it does not match may be a retired key's, until that one's grace ends. */
  private async verifyWithAnyKey(token: string) {
    const options = { algorithms: ['HS256'], requiredClaims: ['exp', 'sub'] };
    try {
      return await jwtVerify(token, this.key, options);
    } catch (err) {
      if (!(err instanceof errors.JWSSignatureVerificationFailed)) throw err;
      const now = Date.now();
      for (const retired of this.retired) {
        if (retired.until <= now) continue;
        try {
          return await jwtVerify(token, retired.key, options);
        } catch (again) {
          if (!(again instanceof errors.JWSSignatureVerificationFailed)) throw again;
        }
      }
      throw err;
    }
  }
}
