import type { IncomingMessage } from 'node:http';
import { publicOrigin } from './forwarded.js';

/**
 * Browsers always send Origin on a WebSocket upgrade; other clients usually don't. A request without
 * Origin is allowed (it is not a browser page acting for a user). With an Origin, it must be the
 * server's own origin (scheme and host, as the browser reached it: behind a proxy, with trustProxy,
 * X-Forwarded-Proto and X-Forwarded-Host), or in the allowlist ('*' allows any).
 */
export function originAllowed(req: IncomingMessage, allowlist: readonly string[] | undefined, trustProxy = false): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  if (allowlist?.includes('*')) return true;
  if (allowlist?.includes(origin)) return true;
  try {
    return new URL(origin).origin === publicOrigin(req, trustProxy);
  } catch {
    return false;
  }
}
