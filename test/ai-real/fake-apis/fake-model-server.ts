import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { rm } from 'node:fs/promises';
import { ReplyScript, UNSCRIPTED_REPLY, type FakeReply } from './replies.js';

/** How the fake filed a request: a call of the scripted conversation, a side call it answers by
 * itself (token counts, model lists, routing classifiers), or something it does not know. */
export const RequestRole = { main: 'main', aux: 'aux', unknown: 'unknown' } as const;
export type RequestRole = (typeof RequestRole)[keyof typeof RequestRole];

export interface RecordedRequest {
  /** 1-based arrival order. */
  seq: number;
  method: string;
  /** Path without the query string. */
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  /** The body parsed as JSON, or the raw text when it is not JSON. */
  body: unknown;
  role: RequestRole;
  /** The scripted reply a main call got. */
  reply?: FakeReply;
  status: number;
  /** The client closed the connection before the response ended (an interrupted stream). */
  aborted: boolean;
  /** The response was fully written. */
  done: boolean;
}

/** One request in flight, as a dialect sees it. */
export interface FakeCall {
  record: RecordedRequest;
  req: IncomingMessage;
  res: ServerResponse;
  /** Takes the next scripted reply and files the request as main. */
  takeReply(): FakeReply;
  /** The scripted error that is due, if any, without taking it (for side calls, which the same
   * bad key or quota would fail too). Files the request as aux. */
  pendingError(): Extract<FakeReply, { kind: 'error' }> | undefined;
  /** Resolves when the client goes away or the fake closes. */
  gone: Promise<void>;
  sendJson(status: number, body: unknown, headers?: Record<string, string>): void;
  /** Starts an SSE response. */
  startSse(headers?: Record<string, string>): void;
  /** Writes one SSE event (`event:` line only when `event` is given). */
  sse(data: unknown, event?: string): void;
  end(): void;
}

/** One API's wire format: files each request and answers it. */
export interface Dialect {
  name: string;
  handle(call: FakeCall): Promise<void> | void;
}

export interface FakeModelServer extends AsyncDisposable {
  readonly name: string;
  readonly socketPath: string;
  readonly requests: readonly RecordedRequest[];
  /** Replaces the scripted conversation. */
  script(...replies: FakeReply[]): void;
  /** Scripted replies not yet taken. */
  readonly remaining: number;
  main(): RecordedRequest[];
  unknown(): RecordedRequest[];
  /** Polls until a request matching `predicate` has arrived. */
  waitForRequest(predicate: (r: RecordedRequest) => boolean, timeoutMs?: number): Promise<RecordedRequest>;
  close(): Promise<void>;
}

const shortHeaders = (headers: IncomingMessage['headers']) => {
  const { authorization: _a, 'x-api-key': _k, 'x-goog-api-key': _g, ...rest } = headers;
  return rest;
};

/**
 * A fake model API on a Unix socket (the loopback forwarder inside a CLI's network namespace relays
 * the CLI's TCP connections to it). Records every request; unknown ones are answered 404 and logged
 * loudly, so a CLI version that starts calling something new shows up in the test output.
 */
export async function startFakeModelServer(dialect: Dialect, socketPath: string): Promise<FakeModelServer> {
  const requests: RecordedRequest[] = [];
  const script = new ReplyScript();
  const verbose = process.env.ONSEMBL_FAKE_API_LOG === '1';
  let closing = false;
  const closeWaiters = new Set<() => void>();

  const server = createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch {
        // Not JSON: keep the text.
      }
      const url = new URL(req.url ?? '/', 'http://fake');
      const record: RecordedRequest = {
        seq: requests.length + 1,
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body,
        role: RequestRole.unknown,
        status: 0,
        aborted: false,
        done: false,
      };
      requests.push(record);
      let wake: () => void = () => undefined;
      const gone = new Promise<void>((resolve) => {
        wake = resolve;
        closeWaiters.add(resolve);
      });
      res.on('close', () => {
        if (!res.writableFinished) record.aborted = true;
        closeWaiters.delete(wake);
        wake();
      });
      if (closing) wake();
      const call: FakeCall = {
        record,
        req,
        res,
        gone,
        takeReply() {
          record.role = RequestRole.main;
          const reply = script.next();
          record.reply = reply;
          if (reply === UNSCRIPTED_REPLY) {
            process.stderr.write(`[fake ${dialect.name}] call #${record.seq} ${record.method} ${record.path}: no scripted reply left, answering with filler text\n`);
          }
          return reply;
        },
        pendingError() {
          record.role = RequestRole.aux;
          return script.pendingError();
        },
        sendJson(status, payload, headers = {}) {
          record.status = status;
          res.writeHead(status, { 'content-type': 'application/json', ...headers });
          res.end(JSON.stringify(payload));
          record.done = true;
        },
        startSse(headers = {}) {
          record.status = 200;
          res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', ...headers });
          res.flushHeaders();
        },
        sse(data, event) {
          if (res.destroyed) return;
          res.write(`${event === undefined ? '' : `event: ${event}\n`}data: ${JSON.stringify(data)}\n\n`);
        },
        end() {
          if (!res.destroyed) res.end();
          record.done = true;
        },
      };
      try {
        await dialect.handle(call);
      } catch (error) {
        process.stderr.write(`[fake ${dialect.name}] handler failed on ${record.method} ${record.path}: ${String(error)}\n`);
        if (!res.headersSent) call.sendJson(500, { error: { message: 'fake server error' } });
        else res.destroy();
      }
      if (record.role === RequestRole.unknown) {
        process.stderr.write(
          `[fake ${dialect.name}] UNKNOWN REQUEST #${record.seq} ${record.method} ${req.url} answered ${record.status}; headers ${JSON.stringify(shortHeaders(req.headers))}; body ${text.slice(0, 300)}\n`,
        );
      } else if (verbose) {
        process.stderr.write(`[fake ${dialect.name}] #${record.seq} ${record.role} ${record.method} ${req.url} -> ${record.status} ${record.reply?.kind ?? ''}${record.aborted ? ' (aborted)' : ''}\n`);
      }
    })();
  });
  await rm(socketPath, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });

  const close = async () => {
    if (closing) return;
    closing = true;
    for (const wake of closeWaiters) wake();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(socketPath, { force: true });
  };

  return {
    name: dialect.name,
    socketPath,
    requests,
    script: (...replies) => script.set(replies),
    get remaining() {
      return script.remaining;
    },
    main: () => requests.filter((r) => r.role === RequestRole.main),
    unknown: () => requests.filter((r) => r.role === RequestRole.unknown),
    async waitForRequest(predicate, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = requests.find(predicate);
        if (found) return found;
        if (Date.now() > deadline) {
          throw new Error(`fake ${dialect.name}: no such request within ${timeoutMs} ms; got ${requests.map((r) => `${r.method} ${r.path}`).join(', ')}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
