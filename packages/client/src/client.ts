import { FINAL_COMMAND_STATUSES, type ServerToDashboardMessage } from '@onsembl/protocol';
import { CommandEvents, type CommandEvent, type CommandHandlers } from './command-events.js';
import { Connection } from './connection.js';
import { Emitter, type Listener } from './emitter.js';
import { ClientError } from './errors.js';
import { HistoryApi, type MissingOutput, type MissingOutputOptions } from './history.js';
import { createRequestIds } from './ids.js';
import { resolveOptions, type ClientOptions } from './options.js';
import { PendingRequests } from './requests.js';
import type {
  AgentInfo, ApprovalDecided, ClientEvents, CommandRequest, ConnectionState, ConnectionStatus, EmergencyStopEvent, OutputGap, Position,
} from './types.js';

/**
 * The typed dashboard client: one connection with the spec's states and reconnection rules, the
 * live agent list, and request/answer helpers that match answers by `requestId`.
 */
export class OnsemblClient {
  readonly #events = new Emitter<ClientEvents>();
  readonly #connection: Connection;
  readonly #pending: PendingRequests;
  readonly #nextRequestId: () => string;
  readonly #agents = new Map<string, AgentInfo>();
  readonly #historyOptions: Pick<ClientOptions, 'apiUrl' | 'fetch' | 'url'>;
  #history: HistoryApi | undefined;

  constructor(options: ClientOptions) {
    const resolved = resolveOptions(options);
    this.#historyOptions = { url: options.url, apiUrl: options.apiUrl, fetch: options.fetch };
    this.#pending = new PendingRequests(resolved.clock, resolved.requestTimeoutMs);
    this.#nextRequestId = createRequestIds(resolved.random);
    this.#connection = new Connection(
      resolved,
      {
        status: (status) => this.#events.emit('state', status),
        message: (message) => this.#onMessage(message),
        connected: (ack, resumed) => this.#events.emit('connected', { ack, resumed }),
        reset: () => this.#events.emit('reset', undefined),
        lost: (error) => this.#pending.rejectAll(error),
      },
    );
  }

  get status(): ConnectionStatus {
    return this.#connection.status;
  }

  get state(): ConnectionState {
    return this.#connection.status.state;
  }

  get nextRetryAt(): number | null {
    return this.#connection.status.nextRetryAt;
  }

  /** The last position seen (sent as `resume` on reconnect). */
  get position(): Position | null {
    return this.#connection.position;
  }

  get agents(): readonly AgentInfo[] {
    return [...this.#agents.values()];
  }

  /**
   * The server's history REST API, with this client's current token (it follows `setToken` and
   * `refreshToken`). Made on first use: `fetch` is needed only by those who use it.
   */
  get history(): HistoryApi {
    const { url, apiUrl, fetch } = this.#historyOptions;
    this.#history ??= new HistoryApi({
      ...(apiUrl ? { baseUrl: apiUrl } : { url }),
      token: () => this.#connection.token,
      ...(fetch ? { fetch } : {}),
    });
    return this.#history;
  }

  /**
   * Reads back from the server's store the output an `output:gap` said this dashboard missed
   * (`client.on('gap', (gap) => client.fillGap(gap).then(...))`).
   */
  fillGap(gap: Pick<OutputGap, 'commandId' | 'fromSequence' | 'nextSequence'>, options?: MissingOutputOptions): Promise<MissingOutput> {
    return this.history.missingOutput(gap, options);
  }

  on<K extends keyof ClientEvents>(event: K, listener: Listener<ClientEvents[K]>): () => void {
    return this.#events.on(event, listener);
  }

  connect(): this {
    this.#connection.connect();
    return this;
  }

  reconnect(): void {
    this.#connection.reconnect();
  }

  /** The network may be back (online, visible, focused): skip the wait for the scheduled retry. */
  retrySoon(): void {
    this.#connection.retrySoon();
  }

  close(): void {
    this.#connection.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** Uses a new token from the next connection on (after AUTH_FAILED: then call `reconnect()`). */
  setToken(token: string): void {
    this.#connection.setToken(token);
  }

  /** Resolves with the commandId once the server has queued the command. */
  requestCommand(request: CommandRequest): Promise<string> {
    return this.#request(
      (requestId) => this.#connection.send('command:request', { ...request, requestId }),
      (requestId) => (message) =>
        message.type === 'command:status' && message.payload.requestId === requestId ? message.payload.commandId : undefined,
    );
  }

  /**
   * Keystrokes (or a pasted piece of at most Limits.terminalInputMaxChars) for a running shell
   * command's terminal. Fire and forget: a refusal (not running, not a shell agent) arrives as a
   * `serverError`. Throws ClientError NOT_CONNECTED when not connected.
   */
  sendInput(commandId: string, data: string): void {
    this.#connection.send('terminal:input', { commandId, data });
  }

  /** This viewer's terminal size changed: the running command's PTY follows (ignored once it ended). */
  resizeTerminal(commandId: string, cols: number, rows: number): void {
    this.#connection.send('terminal:resize', { commandId, cols, rows });
  }

  /** Interrupts a running command or cancels a queued one; resolves when it has reached a final status. */
  interrupt(commandId: string): Promise<void> {
    return this.#request(
      (requestId) => this.#connection.send('command:interrupt', { commandId, requestId }),
      () => (message) =>
        message.type === 'command:status' && message.payload.commandId === commandId && FINAL_COMMAND_STATUSES.has(message.payload.status)
          ? true
          : undefined,
    ).then(() => undefined);
  }

  /** Empties every queue and interrupts every running command on every agent. */
  emergencyStop(reason?: string): Promise<EmergencyStopEvent> {
    return this.#request(
      (requestId) => this.#connection.send('emergency:stop', { requestId, ...(reason ? { reason } : {}) }),
      (requestId) => (message) =>
        message.type === 'emergency:stop' && message.payload.requestId === requestId ? message.payload : undefined,
    );
  }

  /**
   * Allows or denies a tool an AI CLI asked to run. Resolves with the decision once the server made
   * it; rejects with a ProtocolError APPROVAL_DECIDED (`details` says who decided first, and how) or
   * APPROVAL_NOT_FOUND.
   */
  answerApproval(approvalId: string, decision: 'allow' | 'deny', message?: string): Promise<ApprovalDecided> {
    return this.#request(
      (requestId) => this.#connection.send('approval:response', { approvalId, decision, requestId, ...(message ? { message } : {}) }),
      (requestId) => (m) => (m.type === 'approval:decided' && m.payload.requestId === requestId ? m.payload : undefined),
    );
  }

  /** Replaces the session's token without reconnecting; later reconnects use the new one. */
  async refreshToken(token: string): Promise<{ expiresAt: number }> {
    const answer = await this.#request(
      (requestId) => this.#connection.send('token:refresh', { token, requestId }),
      (requestId) => (message) =>
        message.type === 'token:refreshed' && message.payload.requestId === requestId ? message.payload : undefined,
    );
    this.#connection.setToken(token);
    this.#connection.setTokenExpiry(answer.expiresAt);
    return { expiresAt: answer.expiresAt };
  }

  /** Output, gaps and status of one command, as callbacks. Returns the unsubscribe function. */
  watchCommand(commandId: string, handlers: CommandHandlers): () => void {
    const offs = [
      this.on('output', (chunk) => chunk.commandId === commandId && handlers.output?.(chunk)),
      this.on('gap', (gap) => gap.commandId === commandId && handlers.gap?.(gap)),
      this.on('status', (status) => status.commandId === commandId && handlers.status?.(status)),
    ];
    return () => offs.forEach((off) => off());
  }

  /** The same as an async iterable that ends after the command's final status. */
  commandEvents(commandId: string): AsyncIterableIterator<CommandEvent> {
    return new CommandEvents((handlers) => this.watchCommand(commandId, handlers));
  }

  async #request<T>(send: (requestId: string) => void, matcher: (requestId: string) => (m: ServerToDashboardMessage) => T | undefined): Promise<T> {
    const requestId = this.#nextRequestId();
    const answer = this.#pending.wait(requestId, matcher(requestId));
    try {
      send(requestId);
    } catch (error) {
      this.#pending.fail(requestId, error instanceof Error ? error : new ClientError('NOT_CONNECTED', String(error)));
    }
    return answer;
  }

  #onMessage(message: ServerToDashboardMessage): void {
    this.#events.emit('message', { type: message.type, payload: message.payload, ...(message.position ? { position: message.position } : {}) });
    const consumed = this.#pending.handle(message);
    switch (message.type) {
      case 'agent:list':
        this.#agents.clear();
        for (const agent of message.payload.agents) this.#agents.set(agent.id, agent);
        this.#events.emit('agents', message.payload.agents);
        break;
      case 'agent:status':
        this.#agents.set(message.payload.agent.id, message.payload.agent);
        this.#events.emit('agent', message.payload.agent);
        break;
      case 'terminal:output':
        this.#events.emit('output', message.payload);
        break;
      case 'command:status':
        this.#events.emit('status', message.payload);
        break;
      case 'command:queue':
        this.#events.emit('queue', message.payload);
        break;
      case 'output:gap':
        this.#events.emit('gap', message.payload);
        break;
      case 'emergency:stop':
        this.#events.emit('emergency', message.payload);
        break;
      case 'trace:event':
        this.#events.emit('trace', message.payload);
        break;
      case 'approval:request':
        this.#events.emit('approval', message.payload);
        break;
      case 'approval:decided':
        this.#events.emit('approvalDecided', message.payload);
        break;
      case 'token:refreshed':
        this.#connection.setTokenExpiry(message.payload.expiresAt);
        break;
      case 'error':
        if (!consumed) this.#events.emit('serverError', message.payload);
        break;
      // Handled by the connection.
      case 'connection:ack':
      case 'heartbeat':
        break;
    }
  }
}
