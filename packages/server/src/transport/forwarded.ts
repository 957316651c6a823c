import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

/**
 * What a request says about its client when a reverse proxy stands in front (`trustProxy`).
 * Without trustProxy the X-Forwarded-* headers are ignored: anyone can send them, so only a proxy
 * the operator put there may be believed.
 */

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  const text = Array.isArray(value) ? value.join(',') : value;
  return text === undefined || text.trim() === '' ? undefined : text;
}

/**
 * The client's address: with trustProxy, the last X-Forwarded-For entry, the address the proxy
 * itself saw (entries before it came from the client and may be forged); else the socket's peer.
 */
export function clientAddress(req: IncomingMessage, trustProxy: boolean): string | undefined {
  if (trustProxy) {
    const forwarded = header(req, 'x-forwarded-for')?.split(',').map((s) => s.trim()).filter((s) => s !== '').at(-1);
    if (forwarded !== undefined) return forwarded;
  }
  return req.socket.remoteAddress;
}

/** The origin the browser used to reach us: scheme and host, forwarded ones with trustProxy. */
export function publicOrigin(req: IncomingMessage, trustProxy: boolean): string | undefined {
  const proto = trustProxy ? header(req, 'x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase() : undefined;
  const scheme = proto === 'https' || proto === 'http' ? proto : (req.socket as TLSSocket).encrypted ? 'https' : 'http';
  const host = (trustProxy ? header(req, 'x-forwarded-host')?.split(',')[0]?.trim() : undefined) ?? req.headers.host;
  if (host === undefined) return undefined;
  try {
    return new URL(`${scheme}://${host}`).origin;
  } catch {
    return undefined;
  }
}
