import { createHash, randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import {
  CloseCode, ErrorCode, Limits, parseAgentMessage, ProtocolError, toAgent,
  type AgentToServerMessage, type ServerToAgentMessage,
} from '@onsembl/protocol';
import type { Logger } from 'pino';
import type { VerifiedToken } from '../auth/tokens.js';
import type { AgentLink } from '../core/registry.js';
import { DependencyError } from '../core/watch-ports.js';
import { SocketRole } from '../core/counters.js';
import type { SessionContext } from './session-context.js';
import { textFrame } from '../transport/frame-options.js';
import { afterTurnFlush, turnIsFull } from '../transport/turn.js';
import { errorText, frameText, protocolErrorText } from './socket-messages.js';

const ID_RE = /^[A-Za-z0-9._:@-]{1,128}$/;

/** The agent id of a token subject: the subject itself when it is a valid id, else a stable hash of it. */
export function agentIdOf(sub: string): string {
  return ID_RE.test(sub) ? sub : `agent-${createHash('sha256').update(sub).digest('hex').slice(0, 16)}`;
}

/** One agent socket, authenticated by its token before the upgrade; registers with agent:connect. */
export class AgentSession implements AgentLink {
  readonly connectionId = `conn-${randomUUID()}`;
  readonly agentId: string;
  private registered = false;
  private inbox: Promise<void> = Promise.resolve();
  private readonly log: Logger;
  private registerTimer: NodeJS.Timeout;
  private pausedForTurn = false;
  lastReceivedAt = Date.now();

  constructor(
    private readonly ws: WebSocket,
    private readonly ctx: SessionContext,
    private readonly token: VerifiedToken,
    /** The agent's address as the audit log records it (the proxy's view with --trust-proxy). */
    private readonly remote?: string,
  ) {
    this.agentId = agentIdOf(token.sub);
    this.log = ctx.logger.child({ connectionId: this.connectionId, endpoint: 'agent', agentId: this.agentId });
    ws.on('message', (data, isBinary) => this.receive(data as Buffer, isBinary));
    ws.on('close', () => this.closed());
    ws.on('error', (err) => this.log.debug({ err }, 'socket error'));
    this.registerTimer = setTimeout(() => {
      if (!this.registered) this.close(CloseCode.authTimeout, 'no agent:connect received');
    }, ctx.options.authTimeoutMs);
  }

  send(message: ServerToAgentMessage): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    const text = JSON.stringify(message);
    const bytes = Buffer.byteLength(text);
    this.ws.send(text, textFrame(bytes));
    this.ctx.counters.sent(SocketRole.agent, message.type);
    this.ctx.counters.bytesSent(SocketRole.agent, bytes);
  }

  private sendText(text: string): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    const bytes = Buffer.byteLength(text);
    this.ws.send(text, textFrame(bytes));
    this.ctx.counters.sent(SocketRole.agent, 'error');
    this.ctx.counters.bytesSent(SocketRole.agent, bytes);
  }

  replace(): void {
    this.log.info('replaced by a newer connection of the same agent');
    this.close(CloseCode.replaced, 'replaced by a newer connection');
  }

  reconnect(reason: string): void {
    this.log.warn({ reason }, 'asking the agent to reconnect and resend');
    this.close(CloseCode.serverError, reason.slice(0, 120));
  }

  close(code: number, reason: string): void {
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) this.ws.close(code, reason);
  }

  private receive(data: Buffer, isBinary: boolean): void {
    this.lastReceivedAt = Date.now();
    if (turnIsFull()) this.pauseForTurn();
    const text = frameText(data, isBinary);
    const parsed = text === undefined ? undefined : parseAgentMessage.parse(text);
    this.ctx.counters.received(SocketRole.agent, parsed?.ok ? parsed.message.type : 'invalid');
    if (!parsed?.ok) {
      const reason = parsed ? parsed.error : 'binary frames are not supported; send JSON text';
      this.log.warn({ reason }, 'invalid agent message');
      this.sendText(errorText(ErrorCode.INVALID_MESSAGE, reason));
      return;
    }
    this.inbox = this.inbox.then(() => this.handle(parsed.message)).catch((err: unknown) => {
      if (err instanceof DependencyError) {
        // Nothing of this message was acknowledged: the agent comes back and sends it again.
        this.reconnect('the server could not store this: reconnect and resend');
        return;
      }
      this.log.error({ err, type: parsed.message.type }, 'handling an agent message failed');
    });
  }

  /** Stops reading this agent until the turn's broadcasts are flushed (see transport/turn.ts). */
  private pauseForTurn(): void {
    if (this.pausedForTurn) return;
    this.pausedForTurn = true;
    this.ws.pause();
    afterTurnFlush(() => {
      this.pausedForTurn = false;
      this.ws.resume();
    });
  }

  private async handle(message: AgentToServerMessage): Promise<void> {
    const { scheduler, registry } = this.ctx;
    if (message.type === 'agent:connect') return this.register(message);
    if (!this.registered) {
      this.sendText(errorText(ErrorCode.INVALID_MESSAGE, 'send agent:connect first'));
      return;
    }
    registry.touch(this.agentId);
    switch (message.type) {
      case 'heartbeat':
        this.send(toAgent('heartbeat', { sequence: message.payload.sequence }));
        return;
      case 'command:started':
        scheduler.started(this.agentId, message.payload.commandId);
        return;
      case 'command:waiting':
        scheduler.waiting(this.agentId, message.payload.commandId, message.payload.waiting);
        return;
      case 'terminal:output':
        if (Buffer.byteLength(message.payload.data) > Limits.outputChunkBytes) {
          this.sendText(errorText(ErrorCode.INVALID_MESSAGE, 'terminal:output data is over the 10 KB chunk limit'));
          return;
        }
        scheduler.output(this.agentId, this, message.payload);
        return;
      case 'command:exit':
        return scheduler.exited(this.agentId, this, message.payload);
      case 'approval:request': {
        if (Buffer.byteLength(JSON.stringify(message.payload)) > Limits.traceEventMaxBytes) {
          this.sendText(errorText(ErrorCode.INVALID_MESSAGE, `approval:request is over the ${Limits.traceEventMaxBytes / 1024} KB limit`, { commandId: message.payload.commandId }));
          return;
        }
        try {
          await this.ctx.approvals.ask(this.agentId, this, message.payload);
        } catch (err) {
          if (!(err instanceof ProtocolError)) throw err;
          this.sendText(protocolErrorText(err));
        }
        return;
      }
      case 'trace:event': {
        // Serialised once: this text is what is stored, and what dashboards are sent around it.
        const eventText = JSON.stringify(message.payload.event);
        if (Buffer.byteLength(eventText) > Limits.traceEventMaxBytes) {
          this.sendText(errorText(ErrorCode.INVALID_MESSAGE, `trace:event event is over the ${Limits.traceEventMaxBytes / 1024} KB limit`, { commandId: message.payload.commandId }));
          return;
        }
        scheduler.trace(this.agentId, this, message.payload, eventText);
        return;
      }
    }
  }

  private async register(message: Extract<AgentToServerMessage, { type: 'agent:connect' }>): Promise<void> {
    if (this.registered) {
      this.sendText(errorText(ErrorCode.INVALID_MESSAGE, 'agent:connect was already received on this connection'));
      return;
    }
    const { name, type, version, hostname, running, cwd, model, sessionId, cliVersion } = message.payload;
    await this.ctx.registry.connect({ id: this.agentId, name, type, version, hostname, lastSeenAt: Date.now(), cwd, model, sessionId }, this);
    this.registered = true;
    clearTimeout(this.registerTimer);
    this.log.info({ name, type, version, cliVersion, holding: running.length }, 'agent connected');
    this.ctx.audit.record({ actor: this.token.sub, role: 'agent', action: 'agent.connected', target: this.agentId, detail: { name, type, version, holding: running.length }, remote: this.remote });
    this.send(toAgent('connection:ack', {
      connectionId: this.connectionId,
      agentId: this.agentId,
      serverVersion: this.ctx.serverVersion,
      heartbeatIntervalMs: this.ctx.options.heartbeatIntervalMs,
      heartbeatTimeoutMs: this.ctx.options.heartbeatTimeoutMs,
    }));
    this.ctx.scheduler.reconcile(this.agentId, this, running);
  }

  private closed(): void {
    clearTimeout(this.registerTimer);
    if (!this.registered) return;
    void this.ctx.registry.disconnect(this.agentId, this).then((wasCurrent) => {
      if (!wasCurrent) return;
      this.log.info('agent disconnected');
      this.ctx.audit.record({ actor: this.token.sub, role: 'agent', action: 'agent.disconnected', target: this.agentId, remote: this.remote });
    });
  }
}
