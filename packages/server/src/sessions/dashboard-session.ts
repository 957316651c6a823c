import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import {
  CloseCode, ErrorCode, Limits, parseDashboardMessage, ProtocolError, Role, toDashboard,
  type DashboardToServerMessage, type Position, type ServerToDashboardMessage, type ServerToDashboardPayloads,
} from '@onsembl/protocol';
import type { Logger } from 'pino';
import type { VerifiedToken } from '../auth/tokens.js';
import type { EventSink, OutputMeta } from '../core/broadcaster.js';
import { SocketRole } from '../core/counters.js';
import { Dependency } from '../core/health.js';
import { DependencyError } from '../core/watch-ports.js';
import { textFrame } from '../transport/frame-options.js';
import { DashboardOutbox } from '../transport/dashboard-outbox.js';
import { TURN_BUDGET_BYTES } from '../transport/turn.js';
import { answerApproval, emergencyStop, interruptCommand, requestCommand, resizeTerminal, typeIntoTerminal, type Audit } from './dashboard-commands.js';
import { DashboardLimits, type LimitVerdict } from './dashboard-limits.js';
import { Replay } from './replay.js';
import type { SessionContext } from './session-context.js';
import { errorText, frameText, protocolErrorText } from './socket-messages.js';

type Msg<K extends DashboardToServerMessage['type']> = Extract<DashboardToServerMessage, { type: K }>;

/**
 * One dashboard socket: authenticates (URL token or dashboard:connect), then validates and serves
 * each message in arrival order, and receives broadcasts through its DashboardOutbox.
 */
export class DashboardSession implements EventSink {
  readonly connectionId = `conn-${randomUUID()}`;
  private token: VerifiedToken | undefined;
  private readonly outbox: DashboardOutbox;
  private inbox: Promise<void> = Promise.resolve();
  private authTimer: NodeJS.Timeout | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  private readonly limits: DashboardLimits;
  private clientInfo: Record<string, unknown> | undefined;
  /** Set while a resumed session is being sent what it missed. */
  private replay: Replay | undefined;
  /** A resume is being checked or replayed: a store failure now ends the session (see handle's catch). */
  private replaying = false;
  /**
   * The newest offset a replay sent. Live events at or below it are duplicates: on a node among
   * several, the feed may still be behind the store the replay read (a late or lost bus message it
   * fills afterwards), so they can arrive after the replay ended.
   */
  private replayedUpTo = 0;
  lastReceivedAt = Date.now();
  private readonly log: Logger;

  constructor(private readonly ws: WebSocket, private readonly ctx: SessionContext, private readonly remote: string) {
    this.log = ctx.logger.child({ connectionId: this.connectionId, endpoint: 'dashboard' });
    this.limits = new DashboardLimits(ctx.options);
    this.outbox = new DashboardOutbox(ws, {
      maxPendingOutputBytes: ctx.options.dashboardSendBufferBytes,
      maxBurstOutputBytes: ctx.options.dashboardSendBufferBytes * Limits.dashboardBurstBuffers,
      maxPendingBytes: ctx.options.dashboardSendBufferBytes * Limits.dashboardCloseBuffers,
      // Backed up = the kernel did not take the last turn's flush. With a mark below one turn's
      // budget, a dashboard that was reading, merely a little behind a full turn, counted as slow
      // and lost output.
      socketHighWaterBytes: TURN_BUDGET_BYTES,
      onOverflow: () => ws.close(CloseCode.tooSlow, 'too slow: reconnect and resume'),
      counters: ctx.counters,
    });
    ws.on('message', (data, isBinary) => this.receive(data as Buffer, isBinary));
    ws.on('close', () => this.closed());
    ws.on('error', (err) => this.log.debug({ err }, 'socket error'));
  }

  /** Called by the endpoint: authenticated by URL token, or wait for dashboard:connect. */
  start(token: VerifiedToken | undefined): void {
    if (token) {
      void this.authenticated(token, undefined);
      return;
    }
    this.authTimer = setTimeout(() => {
      this.fail(ErrorCode.AUTH_FAILED, 'no token: send dashboard:connect {token} first', CloseCode.authTimeout);
    }, this.ctx.options.authTimeoutMs);
  }

  deliver(text: string, output: OutputMeta | undefined, offset: number): void {
    if (this.replay) this.replay.hold(text, output, offset);
    else if (offset > this.replayedUpTo) this.outbox.pushBroadcast(text, output);
  }

  private send(message: ServerToDashboardMessage): void {
    this.outbox.push(JSON.stringify(message));
  }

  private sendText(text: string): void {
    this.outbox.push(text);
  }

  /** Sends AUTH_FAILED (a browser cannot see an HTTP 401) and closes with an application code. */
  fail(code: ErrorCode, message: string, closeCode: number): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    const text = errorText(code, message);
    this.ws.send(text, textFrame(0));
    this.ctx.counters.sent(SocketRole.dashboard, 'error');
    this.ctx.counters.bytesSent(SocketRole.dashboard, Buffer.byteLength(text));
    this.ws.close(closeCode, message.slice(0, 120));
  }

  close(code: number, reason: string): void {
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) this.ws.close(code, reason);
  }

  private refuse(verdict: Exclude<LimitVerdict, { ok: true }>, requestId?: string): void {
    this.sendText(errorText(verdict.code, verdict.message, {
      ...(requestId === undefined ? {} : { requestId }),
      ...(verdict.retryAfterMs === undefined ? {} : { details: { retryAfterMs: verdict.retryAfterMs } }),
    }));
    if (verdict.close !== undefined) {
      this.log.warn({ sub: this.token?.sub, remote: this.remote }, 'closing an abusive dashboard');
      this.close(verdict.close, 'rate limit abuse');
    }
  }

  private receive(data: Buffer, isBinary: boolean): void {
    const now = Date.now();
    this.lastReceivedAt = now;
    const rate = this.limits.message(now);
    if (!rate.ok) {
      this.ctx.counters.received(SocketRole.dashboard, 'rate-limited');
      return this.refuse(rate);
    }
    const text = frameText(data, isBinary);
    if (text === undefined) {
      this.ctx.counters.received(SocketRole.dashboard, 'invalid');
      this.sendText(errorText(ErrorCode.INVALID_MESSAGE, 'binary frames are not supported; send JSON text'));
      return;
    }
    const parsed = parseDashboardMessage.parse(text);
    this.ctx.counters.received(SocketRole.dashboard, parsed.ok ? parsed.message.type : 'invalid');
    if (!parsed.ok) {
      const extra = parsed.requestId === undefined ? {} : { requestId: parsed.requestId };
      this.sendText(errorText(ErrorCode.INVALID_MESSAGE, parsed.error, extra));
      return;
    }
    const { type, payload } = parsed.message;
    const limited =
      type === 'heartbeat' ? this.limits.heartbeat(now) : type === 'command:request' ? this.limits.command(now) : undefined;
    if (limited && !limited.ok) return this.refuse(limited, (payload as { requestId?: string }).requestId);
    this.inbox = this.inbox.then(() => this.handle(parsed.message)).catch((err: unknown) => {
      if (err instanceof DependencyError && this.replaying) {
        this.log.warn({ err }, 'resume failed: the store is failing');
        this.close(CloseCode.serverError, 'history unavailable: reconnect and resume later');
      } else if (err instanceof DependencyError) {
        const requestId = (parsed.message.payload as { requestId?: string }).requestId;
        this.sendText(errorText(ErrorCode.STORE_UNAVAILABLE, 'The server could not read or write its database; nothing was done. Try again shortly.', requestId ? { requestId } : {}));
      } else if (err instanceof ProtocolError) {
        const requestId = (parsed.message.payload as { requestId?: string }).requestId;
        this.sendText(protocolErrorText(err, requestId));
      } else {
        this.log.error({ err, type: parsed.message.type }, 'handling a dashboard message failed');
      }
    });
  }

  private async handle(message: DashboardToServerMessage): Promise<void> {
    if (message.type === 'dashboard:connect') return this.connectMessage(message);
    if (!this.token) {
      this.fail(ErrorCode.AUTH_FAILED, 'not authenticated: send dashboard:connect {token} first', CloseCode.authFailed);
      return;
    }
    switch (message.type) {
      case 'heartbeat':
        this.send(toDashboard('heartbeat', { sequence: message.payload.sequence }));
        return;
      case 'command:request':
        return requestCommand(this.ctx, this.token.sub, message.payload, this.audit);
      case 'command:interrupt':
        return interruptCommand(this.ctx, message.payload, this.audit);
      case 'emergency:stop':
        return emergencyStop(this.ctx, this.token.sub, message.payload, this.audit);
      case 'token:refresh':
        return this.refresh(message);
      case 'approval:response':
        return answerApproval(this.ctx, this.token.sub, message.payload);
      case 'terminal:resize':
        return resizeTerminal(this.ctx, message.payload);
      case 'terminal:input':
        return typeIntoTerminal(this.ctx, message.payload, this.audit);
    }
  }

  private async connectMessage(message: Msg<'dashboard:connect'>): Promise<void> {
    const result = await this.ctx.tokens.verify(message.payload.token, Role.dashboard);
    if (!result.ok) {
      this.audit('auth.failed', undefined, { endpoint: 'dashboard', reason: result.reason });
      this.fail(ErrorCode.AUTH_FAILED, result.reason, CloseCode.authFailed);
      return;
    }
    this.clientInfo = message.payload.clientInfo;
    if (this.token) {
      if (result.token.sub !== this.token.sub) {
        throw new ProtocolError(ErrorCode.AUTH_FAILED, 'dashboard:connect names another identity than this session');
      }
      this.token = result.token;
      this.watchExpiry(result.token);
      if (message.payload.resume) {
        throw new ProtocolError(
          ErrorCode.INVALID_MESSAGE,
          'resume needs in-band authentication: this session was authenticated by its URL and already has the current state',
        );
      }
      return;
    }
    await this.authenticated(result.token, this.clientInfo, message.payload.resume);
  }

  /** A session lives as long as its token: refresh in-band before expiry, or it ends with AUTH_FAILED. */
  private watchExpiry(token: VerifiedToken): void {
    clearTimeout(this.expiryTimer);
    // setTimeout holds at most ~24.8 days; a longer-lived token re-arms the timer when it fires.
    const wait = Math.min(token.expiresAt - Date.now(), 2 ** 31 - 1);
    this.expiryTimer = setTimeout(() => {
      if (Date.now() < token.expiresAt) return this.watchExpiry(token);
      this.fail(ErrorCode.AUTH_FAILED, 'token expired: refresh it with token:refresh before expiry', CloseCode.tokenExpired);
    }, Math.max(0, wait));
    this.expiryTimer.unref();
  }

  /**
   * Starts the session: ack, then either the events after the client's position (recovered) or the
   * current state (agents, queues, running commands). Tokens are checked before any of it.
   */
  private async authenticated(token: VerifiedToken, clientInfo: Record<string, unknown> | undefined, resume?: Position): Promise<void> {
    clearTimeout(this.authTimer);
    this.token = token;
    this.watchExpiry(token);
    this.log.info({ sub: token.sub, remote: this.remote, clientInfo, resume }, 'dashboard connected');
    this.audit('dashboard.connected', undefined, { connectionId: this.connectionId, ...(resume ? { resume } : {}) });
    const { options, eventLog, broadcaster, health } = this.ctx;
    if (resume && health.isDown(Dependency.store)) {
      // The history it asks for cannot be read (nor the newest events written): it comes back later
      // and resumes then, rather than being told to start over.
      this.close(CloseCode.serverError, 'history unavailable: reconnect and resume later');
      return;
    }
    this.replaying = resume !== undefined;
    const recovered = resume === undefined ? undefined : await eventLog.canResumeFrom(resume);
    if (recovered) this.replay = new Replay(eventLog, this.outbox, () => this.ws.readyState === this.ws.OPEN);
    // Subscribed before the head is read, so no event falls between the ack's position and live ones.
    broadcaster.add(this);
    const ack: ServerToDashboardPayloads['connection:ack'] = {
      connectionId: this.connectionId,
      serverVersion: this.ctx.serverVersion,
      heartbeatIntervalMs: options.heartbeatIntervalMs,
      heartbeatTimeoutMs: options.heartbeatTimeoutMs,
      tokenExpiresAt: token.expiresAt,
      position: eventLog.head,
    };
    if (recovered !== undefined) ack.recovered = recovered;
    this.send(toDashboard('connection:ack', ack));
    if (this.replay && resume) {
      this.replayedUpTo = await this.replay.run(resume);
      this.replay = undefined;
      this.replaying = false;
    } else {
      this.replaying = false;
      this.sendState();
    }
  }

  /** The whole current picture, for a dashboard that starts from nothing. */
  private sendState(): void {
    const { registry, scheduler } = this.ctx;
    this.send(toDashboard('agent:list', { agents: registry.list() }));
    const { queues, running } = scheduler.snapshot();
    for (const q of queues) this.send(toDashboard('command:queue', q));
    for (const status of running) this.send(toDashboard('command:status', status));
    for (const question of this.ctx.approvals.pending()) this.send(toDashboard('approval:request', question));
  }

  private async refresh(message: Msg<'token:refresh'>): Promise<void> {
    const result = await this.ctx.tokens.verify(message.payload.token, Role.dashboard);
    if (!result.ok) throw new ProtocolError(ErrorCode.AUTH_FAILED, `token refresh refused: ${result.reason}`);
    if (result.token.sub !== this.token?.sub) {
      throw new ProtocolError(ErrorCode.AUTH_FAILED, 'token refresh refused: the token names another identity');
    }
    this.token = result.token;
    this.watchExpiry(result.token);
    this.audit('token.refreshed', undefined, { expiresAt: result.token.expiresAt });
    const payload: { expiresAt: number; requestId?: string } = { expiresAt: result.token.expiresAt };
    if (message.payload.requestId !== undefined) payload.requestId = message.payload.requestId;
    this.send(toDashboard('token:refreshed', payload));
  }

  private closed(): void {
    clearTimeout(this.authTimer);
    clearTimeout(this.expiryTimer);
    this.outbox.close();
    this.ctx.broadcaster.remove(this);
    if (this.token) {
      this.log.info({ sub: this.token.sub }, 'dashboard disconnected');
      this.audit('dashboard.disconnected', undefined, { connectionId: this.connectionId });
    }
  }

  private readonly audit: Audit = (action, target, detail) => {
    this.ctx.audit.record({
      actor: this.token?.sub ?? '-', role: this.token ? 'dashboard' : 'anonymous', action, target, detail, remote: this.remote,
    });
  };
}
