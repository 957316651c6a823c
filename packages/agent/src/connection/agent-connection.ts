import { performance } from 'node:perf_hooks';
import {
  certificateProblem, CloseCode, ErrorCode, HeartbeatMonitor, Limits, parseServerToAgentMessage, reconnectDelayMs, shouldCompress, toServerFromAgent,
  type AgentToServerMessage, type Clock, type ReconnectSchedule, type ServerToAgentMessage, type ServerToAgentPayloads,
} from '@onsembl/protocol';
import type { Logger } from 'pino';
import WebSocket from 'ws';
import type { AgentCommandOutbox } from '../command/command-outbox.js';
import { AgentFatalError } from './fatal-error.js';

export type ConnectionAck = ServerToAgentPayloads['connection:ack'];
/** Everything but connection:ack and heartbeat, which the connection handles itself. */
export type CommandMessage = Exclude<ServerToAgentMessage, { type: 'connection:ack' | 'heartbeat' }>;

export interface ConnectionSettings {
  /** The server's addresses (several nodes): each reconnect tries the next one, with the same backoff. */
  urls: readonly URL[];
  /** `urls` with the token redacted: the only form that is logged. */
  logUrls: readonly string[];
  logger: Logger;
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  reconnectDelaysMs: readonly number[];
  reconnectJitter: number;
  /** PEM CA certificate(s) trusted for wss:// instead of the system's (a private CA). */
  ca?: string | Buffer | undefined;
}

export interface ConnectionHandlers {
  /** The agent:connect message, built fresh for every socket (its `running` list changes). */
  connectMessage(): AgentToServerMessage;
  onReady(ack: ConnectionAck): void;
  onMessage(message: CommandMessage): void;
  /** The send buffer went back under its low-water mark. */
  onDrain(): void;
  onDisconnected(info: { code: number; reason: string }): void;
  onFatal(error: AgentFatalError): void;
}

/** Send-buffer marks for back-pressure: output waits above HIGH until the buffer is under LOW. */
const SEND_BUFFER_HIGH_BYTES = 512 * 1024;
const SEND_BUFFER_LOW_BYTES = 128 * 1024;
/** How long a graceful close may take before the socket is dropped. */
const CLOSE_WAIT_MS = 2_000;
/** Node's timers, and a monotonic clock: silence is measured even if the wall clock jumps. */
const NODE_CLOCK: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * The agent's one connection to the server, kept alive forever: registers on every open socket,
 * sends heartbeats, detects silence, reconnects with backoff, and stops only when told to or when
 * the server says the identity is refused (4001) or taken over (4009).
 */
export class AgentConnection implements AgentCommandOutbox {
  private socket: WebSocket | undefined;
  private registered = false;
  private congested = false;
  private corked = false;
  private attempt = 0;
  /** Which of the server's addresses the current (or next) socket uses. */
  private urlIndex = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private upgradeStatus: number | undefined;
  private state: 'running' | 'stopped' | 'fatal' = 'running';
  private readonly heartbeat: HeartbeatMonitor;
  private readonly reconnectSchedule: ReconnectSchedule;
  private readonly logger: Logger;

  constructor(
    private readonly settings: ConnectionSettings,
    private readonly handlers: ConnectionHandlers,
  ) {
    this.logger = settings.logger;
    this.heartbeat = new HeartbeatMonitor(NODE_CLOCK, {
      beat: (sequence) => this.send(toServerFromAgent('heartbeat', { sequence })),
      dead: (silentForMs) => this.onSilence(Math.round(silentForMs)),
    });
    // The last delay repeats; no delay exceeds the longest, jitter included (spec: "30s (max)").
    this.reconnectSchedule = {
      delaysMs: settings.reconnectDelaysMs,
      maxDelayMs: Math.max(...settings.reconnectDelaysMs),
      jitter: settings.reconnectJitter,
    };
  }

  get ready(): boolean {
    return this.registered && this.socket?.readyState === WebSocket.OPEN;
  }

  get writable(): boolean {
    return !this.congested;
  }

  start(): void {
    this.open();
  }

  send(message: AgentToServerMessage): void {
    this.sendText(JSON.stringify(message));
  }

  sendText(text: string): void {
    const socket = this.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return;
    this.corkForThisTick(socket);
    socket.send(text, { compress: shouldCompress(Buffer.byteLength(text)) }, () => this.afterSend(socket));
    if (socket.bufferedAmount > SEND_BUFFER_HIGH_BYTES) this.congested = true;
  }

  /**
   * Messages sent in one tick leave in one write: an AI run's read of the CLI's output makes a
   * hundred small trace events at once, and a write per message would cost a system call each.
   * Uses ws's internal `_socket` (the net.Socket); without it, messages go out one by one.
   */
  private corkForThisTick(socket: WebSocket): void {
    if (this.corked) return;
    const raw = (socket as unknown as { _socket?: { cork(): void; uncork(): void } })._socket;
    if (!raw || typeof raw.cork !== 'function') return;
    raw.cork();
    this.corked = true;
    process.nextTick(() => {
      this.corked = false;
      raw.uncork();
    });
  }

  /** Stops reconnecting and closes the socket gracefully (what was sent before still goes out). */
  async close(): Promise<void> {
    this.state = 'stopped';
    this.clearRetry();
    this.heartbeat.stop();
    const socket = this.socket;
    if (!socket || socket.readyState === WebSocket.CLOSED) return;
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    if (socket.readyState === WebSocket.OPEN) {
      socket.close(CloseCode.normal, 'agent stopping');
      const timer = setTimeout(() => socket.terminate(), CLOSE_WAIT_MS);
      await closed;
      clearTimeout(timer);
    } else {
      socket.terminate();
      await closed;
    }
  }

  private open(): void {
    this.retryTimer = undefined;
    const socket = new WebSocket(this.settings.urls[this.urlIndex] as URL, {
      perMessageDeflate: { threshold: Limits.compressionThresholdBytes },
      maxPayload: Limits.maxMessageBytes,
      handshakeTimeout: this.settings.heartbeatTimeoutMs,
      ...(this.settings.ca === undefined ? {} : { ca: this.settings.ca }),
    });
    this.socket = socket;
    this.registered = false;
    this.congested = false;
    this.upgradeStatus = undefined;
    this.logger.debug({ url: this.logUrl, attempt: this.attempt }, 'connecting');

    socket.on('open', () => {
      this.logger.debug({ url: this.logUrl }, 'socket open, registering');
      // Until connection:ack arrives, silence for heartbeatTimeoutMs also means a dead connection.
      this.heartbeat.watch(this.settings.heartbeatTimeoutMs);
      this.send(this.handlers.connectMessage());
    });
    socket.on('message', (data, isBinary) => {
      if (socket !== this.socket) return;
      try {
        this.onMessage(data, isBinary);
      } catch (error) {
        // A bug in handling one message must not take the agent (and its running commands) down.
        this.logger.error({ err: error }, 'failed to handle a message from the server');
      }
    });
    socket.on('unexpected-response', (_request, response) => {
      // The server refused the upgrade itself (e.g. 401 for a bad token). Handled here so the status
      // is known; terminate() then ends the attempt with a 'close' event.
      this.upgradeStatus = response.statusCode;
      socket.terminate();
    });
    socket.on('error', (error) => {
      const certificate = certificateProblem(error);
      if (certificate !== undefined) return this.fail(new AgentFatalError('tls', certificate));
      // Only the message: error objects of the HTTP layer can carry the request, and so the token.
      this.logger.warn({ url: this.logUrl, error: error.message }, 'socket error');
    });
    socket.on('close', (code, reason) => {
      if (socket === this.socket) this.onClose(code, reason.toString('utf8'));
    });
  }

  private onMessage(data: WebSocket.RawData, isBinary: boolean): void {
    this.heartbeat.received();
    if (isBinary) {
      this.logger.warn('binary message from the server ignored');
      return;
    }
    const parsed = parseServerToAgentMessage.parse(rawText(data));
    if (!parsed.ok) {
      this.logger.warn({ error: parsed.error, type: parsed.type }, 'invalid message from the server ignored');
      return;
    }
    const message = parsed.message;
    switch (message.type) {
      case 'connection:ack':
        return this.onAck(message.payload);
      case 'heartbeat':
        return; // Its arrival already fed the watchdog.
      case 'error':
        if (message.payload.code === ErrorCode.AUTH_FAILED) {
          return this.fail(new AgentFatalError('auth-failed', `server refused the agent: ${message.payload.message}`));
        }
        this.logger.warn({ code: message.payload.code, message: message.payload.message, commandId: message.payload.commandId }, 'error from the server');
        return this.handlers.onMessage(message);
      case 'command:execute':
      case 'command:interrupt':
      case 'command:ack':
      case 'output:ack':
      case 'trace:ack':
      case 'terminal:input':
      case 'terminal:resize':
      case 'approval:response':
        return this.handlers.onMessage(message);
    }
  }

  private onAck(ack: ConnectionAck): void {
    if (this.registered) {
      this.logger.debug('repeated connection:ack ignored');
      return;
    }
    this.registered = true;
    this.attempt = 0;
    // The server's timings win (a server may run faster heartbeats in tests, slower ones at scale).
    const interval = ack.heartbeatIntervalMs > 0 ? ack.heartbeatIntervalMs : this.settings.heartbeatIntervalMs;
    const timeout = ack.heartbeatTimeoutMs > 0 ? ack.heartbeatTimeoutMs : this.settings.heartbeatTimeoutMs;
    this.heartbeat.start(interval, timeout);
    this.logger.info({ url: this.logUrl, agentId: ack.agentId, connectionId: ack.connectionId }, 'registered with the server');
    this.handlers.onReady(ack);
  }

  private onClose(code: number, reason: string): void {
    const wasRegistered = this.registered;
    this.socket = undefined;
    this.registered = false;
    this.congested = false;
    this.heartbeat.stop();
    if (wasRegistered) {
      this.logger.info({ code, reason }, 'disconnected from the server');
      this.handlers.onDisconnected({ code, reason });
    }
    if (this.state !== 'running') return;
    if (code === CloseCode.authFailed || this.upgradeStatus === 401 || this.upgradeStatus === 403) {
      return this.fail(new AgentFatalError('auth-failed', `server refused the agent's token (${reason || code})`, this.upgradeStatus ?? code));
    }
    if (code === CloseCode.replaced) {
      return this.fail(new AgentFatalError('replaced', 'another agent connected with the same identity', code));
    }
    this.scheduleReconnect(code);
  }

  private get logUrl(): string {
    return this.settings.logUrls[this.urlIndex] ?? '';
  }

  private scheduleReconnect(code: number): void {
    const delayMs = reconnectDelayMs(this.attempt + 1, Math.random, this.reconnectSchedule);
    this.attempt++;
    // Fail over: the next address (another node, when the one it was on went away).
    this.urlIndex = (this.urlIndex + 1) % this.settings.urls.length;
    this.logger.info({ code, delayMs, attempt: this.attempt }, 'reconnecting');
    this.retryTimer = setTimeout(() => this.open(), delayMs);
  }

  private fail(error: AgentFatalError): void {
    if (this.state !== 'running') return;
    this.state = 'fatal';
    this.clearRetry();
    this.heartbeat.stop();
    this.logger.error({ reason: error.reason, code: error.code }, `${error.message}; not reconnecting`);
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.close(CloseCode.normal, 'agent giving up');
    this.handlers.onFatal(error);
  }

  private onSilence(silentForMs: number): void {
    this.logger.warn({ silentForMs }, 'nothing received from the server in time: dropping the connection');
    this.socket?.terminate();
  }

  private afterSend(socket: WebSocket): void {
    if (socket !== this.socket || !this.congested || socket.bufferedAmount >= SEND_BUFFER_LOW_BYTES) return;
    this.congested = false;
    this.handlers.onDrain();
  }

  private clearRetry(): void {
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }
}

function rawText(data: WebSocket.RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}
