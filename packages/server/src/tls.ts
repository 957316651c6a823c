import { createServer as createHttpServer, type RequestListener, type Server, type ServerOptions as HttpServerOptions } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';

/** A certificate and its key, PEM (what `--tls-cert` and `--tls-key` read). */
export interface TlsOptions {
  cert: string | Buffer;
  key: string | Buffer;
  /** Passphrase of an encrypted key. */
  passphrase?: string;
}

/**
 * The listening server: https (and so wss) when given a certificate, plain http otherwise. Both are
 * `http.Server`s to the rest of the server (https.Server extends tls.Server, which emits the same
 * 'request' and 'upgrade' events).
 */
export function createListener(tls: TlsOptions | undefined, options: HttpServerOptions, handler: RequestListener): Server {
  if (!tls) return createHttpServer(options, handler);
  // Node's defaults: TLS 1.2 and 1.3 only, its own cipher list.
  return createHttpsServer({ ...options, cert: tls.cert, key: tls.key, ...(tls.passphrase ? { passphrase: tls.passphrase } : {}) }, handler);
}
