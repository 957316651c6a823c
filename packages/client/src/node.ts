/**
 * The client library in Node: a WebSocket and a fetch that trust a private CA (`--ca FILE`) and
 * report a refused server certificate clearly. Node-only (it imports `ws` and `node:https`), so it
 * is its own entry point, `@onsembl/client/node`, and browsers never load it.
 *
 *   const client = new OnsemblClient({ url, token, ...nodeTransport({ ca: readFileSync(caFile) }) });
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { certificateProblem, CloseCode } from '@onsembl/protocol';
import WebSocket from 'ws';
import type { FetchLike } from './history.js';
import type { SocketEvent, WebSocketConstructor } from './socket.js';

export interface NodeTransportOptions {
  /** PEM certificate(s) trusted for wss:// and https:// instead of the system's CAs. */
  ca?: string | Buffer;
}

/** An error whose message says which certificate check failed and what to do about it. */
export class CertificateError extends Error {
  constructor(message: string, readonly code: string | undefined) {
    super(message);
    this.name = 'CertificateError';
  }
}

/**
 * `ws`'s WebSocket with the CA, and with a refused certificate reported as a close with code 1015
 * and a reason that says why (the client keeps it as `status.lastError`); a browser only ever says 1006.
 */
export function nodeWebSocket(options: NodeTransportOptions = {}): WebSocketConstructor {
  const { ca } = options;
  return class NodeWebSocket extends WebSocket {
    #certificate: string | undefined;

    constructor(url: string) {
      super(url, ca === undefined ? {} : { ca });
      this.on('error', (error: Error & { code?: string }) => {
        this.#certificate ??= certificateProblem(error);
      });
    }

    override addEventListener(type: string, listener: (event: SocketEvent) => void, opts?: object): void {
      if (type !== 'close') return super.addEventListener(type as 'open', listener, opts);
      super.addEventListener('close', (event) => {
        const certificate = this.#certificate;
        listener(certificate === undefined ? event : { type: 'close', code: CloseCode.tlsHandshake, reason: certificate });
      }, opts);
    }
  };
}

/** A fetch for the history API over node:http(s) with the CA; a refused certificate rejects with CertificateError. */
export function nodeFetch(options: NodeTransportOptions = {}): FetchLike {
  const { ca } = options;
  return (input, init) => new Promise<Response>((resolve, reject) => {
    const url = new URL(input);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, {
      method: 'GET',
      headers: init?.headers ?? {},
      ...(init?.signal ? { signal: init.signal } : {}),
      ...(ca !== undefined && url.protocol === 'https:' ? { ca } : {}),
    }, (res: IncomingMessage) => {
      const parts: Buffer[] = [];
      res.on('data', (part: Buffer) => parts.push(part));
      res.on('error', reject);
      res.on('end', () => {
        const headers = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          if (typeof value === 'string') headers.set(name, value);
          else if (Array.isArray(value)) for (const v of value) headers.append(name, v);
        }
        const status = res.statusCode ?? 0;
        const body = status === 204 || status === 304 ? null : Buffer.concat(parts);
        resolve(new Response(body, { status, statusText: res.statusMessage ?? '', headers }));
      });
    });
    req.on('error', (error: Error & { code?: string }) => {
      const certificate = certificateProblem(error);
      reject(certificate === undefined ? error : new CertificateError(certificate, error.code));
    });
    req.end();
  });
}

/** Both, to spread into ClientOptions: `{ url, token, ...nodeTransport({ ca }) }`. */
export function nodeTransport(options: NodeTransportOptions = {}): { WebSocket: WebSocketConstructor; fetch: FetchLike } {
  return { WebSocket: nodeWebSocket(options), fetch: nodeFetch(options) };
}
