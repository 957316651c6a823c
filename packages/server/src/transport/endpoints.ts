import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { CloseCode, Endpoint, ErrorCode, Limits, Role } from '@onsembl/protocol';
import type { VerifiedToken } from '../auth/tokens.js';
import { redactUrl } from '../logging.js';
import { AgentSession } from '../sessions/agent-session.js';
import { DashboardSession } from '../sessions/dashboard-session.js';
import type { SessionContext } from '../sessions/session-context.js';
import { clientAddress } from './forwarded.js';
import { originAllowed } from './origin.js';

function refuse(socket: Duplex, status: number, text: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
}

function tokenOf(req: IncomingMessage, url: URL): string | undefined {
  const fromQuery = url.searchParams.get('token');
  if (fromQuery) return fromQuery;
  const header = req.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
}

/** The two WebSocket endpoints: upgrade routing, Origin, token checks, and the idle sweep. */
export class Endpoints {
  private readonly wss: WebSocketServer;
  readonly dashboards = new Set<DashboardSession>();
  readonly agents = new Set<AgentSession>();
  private readonly sweep: NodeJS.Timeout;
  private closing = false;

  constructor(private readonly ctx: SessionContext) {
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: ctx.options.maxMessageBytes,
      // spec "Compress if payload >10KB"; ws also applies maxPayload to inflated messages.
      perMessageDeflate: { threshold: Limits.compressionThresholdBytes, concurrencyLimit: 10 },
    });
    const every = Math.max(50, Math.min(5_000, Math.floor(ctx.options.heartbeatTimeoutMs / 4)));
    this.sweep = setInterval(() => this.closeSilent(), every);
    this.sweep.unref();
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      return refuse(socket, 400, 'Bad Request');
    }
    if (url.pathname !== Endpoint.dashboard && url.pathname !== Endpoint.agent) return refuse(socket, 404, 'Not Found');
    if (this.closing) return refuse(socket, 503, 'Service Unavailable');
    if (!originAllowed(req, this.ctx.options.allowedOrigins, this.ctx.options.trustProxy)) {
      this.ctx.logger.warn({ origin: req.headers.origin, url: redactUrl(req.url) }, 'upgrade refused: origin not allowed');
      this.ctx.audit.record({ actor: '-', role: 'anonymous', action: 'origin.refused', detail: { origin: req.headers.origin }, remote: clientAddress(req, this.ctx.options.trustProxy) });
      return refuse(socket, 403, 'Forbidden');
    }
    const token = tokenOf(req, url);
    const role = url.pathname === Endpoint.agent ? Role.agent : Role.dashboard;
    const verifying = token === undefined ? Promise.resolve(undefined) : this.ctx.tokens.verify(token, role);
    void verifying.then((result) => {
      if (this.closing) return refuse(socket, 503, 'Service Unavailable');
      if (role === Role.agent) {
        if (!result?.ok) {
          const reason = result?.reason ?? 'no token';
          this.ctx.logger.warn({ reason, url: redactUrl(req.url) }, 'agent refused');
          this.ctx.audit.record({ actor: '-', role: 'anonymous', action: 'auth.failed', detail: { endpoint: 'agent', reason }, remote: clientAddress(req, this.ctx.options.trustProxy) });
          return refuse(socket, 401, 'Unauthorized');
        }
        return this.wss.handleUpgrade(req, socket, head, (ws) => this.agentOpened(ws, req, result.token));
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.dashboardOpened(ws, req, result));
    });
  }

  private agentOpened(ws: WebSocket, req: IncomingMessage, token: VerifiedToken): void {
    const session = new AgentSession(ws, this.ctx, token, clientAddress(req, this.ctx.options.trustProxy));
    this.agents.add(session);
    ws.on('close', () => this.agents.delete(session));
  }

  private dashboardOpened(
    ws: WebSocket,
    req: IncomingMessage,
    result: { ok: true; token: VerifiedToken } | { ok: false; reason: string } | undefined,
  ): void {
    const session = new DashboardSession(ws, this.ctx, clientAddress(req, this.ctx.options.trustProxy) ?? '');
    this.dashboards.add(session);
    ws.on('close', () => this.dashboards.delete(session));
    if (result && !result.ok) {
      this.ctx.logger.warn({ reason: result.reason, url: redactUrl(req.url) }, 'dashboard refused');
      this.ctx.audit.record({ actor: '-', role: 'anonymous', action: 'auth.failed', detail: { endpoint: 'dashboard', reason: result.reason }, remote: clientAddress(req, this.ctx.options.trustProxy) });
      session.fail(ErrorCode.AUTH_FAILED, `authentication failed: ${result.reason}`, CloseCode.authFailed);
      return;
    }
    session.start(result?.token);
  }

  /** spec: "Connection considered dead after 60 seconds without heartbeat" (any message counts). */
  private closeSilent(): void {
    const deadline = Date.now() - this.ctx.options.heartbeatTimeoutMs;
    for (const d of this.dashboards) {
      if (d.lastReceivedAt < deadline) d.close(CloseCode.heartbeatTimeout, 'no heartbeat');
    }
    for (const a of this.agents) if (a.lastReceivedAt < deadline) a.close(CloseCode.heartbeatTimeout, 'no heartbeat');
  }

  /**
   * Refuses new upgrades, closes every socket with `code` (1012 by default: reconnect, elsewhere or
   * here once it is back), waits up to `waitMs` for the peers' close frames, then drops the rest:
   * a stalled peer cannot hold the shutdown.
   */
  async close(code: number = CloseCode.serviceRestart, waitMs = 2_000): Promise<void> {
    this.closing = true;
    clearInterval(this.sweep);
    const clients = [...this.wss.clients];
    const closed = clients.map((ws) => new Promise<void>((resolve) => {
      if (ws.readyState === ws.CLOSED) resolve();
      else ws.once('close', () => resolve());
    }));
    for (const ws of clients) ws.close(code, 'server shutting down');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(closed), new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)))]);
    clearTimeout(timer);
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}
