import type { IncomingMessage } from 'node:http';

/**
 * Browsers always send Origin on a WebSocket upgrade; other clients usually don't. A request without
 * Origin is allowed (it is not a browser page acting for a user). With an Origin, it must be the
 * server's own host, or in the allowlist ('*' allows any).
 */
export function originAllowed(req: IncomingMessage, allowlist: readonly string[] | undefined): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  if (allowlist?.includes('*')) return true;
  if (allowlist?.includes(origin)) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}
