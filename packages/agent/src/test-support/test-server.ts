import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  parseAgentMessage, toAgent, type AgentToServerMessage, type AgentToServerType, type MessageOfType,
  type ServerToAgentPayloads, type ServerToAgentType,
} from '@onsembl/protocol';
import { WebSocket, WebSocketServer } from 'ws';

/**
 * A real WebSocket server playing the Onsembl server's side of the agent protocol, for tests.
 * Every message the agent sends is validated with the protocol package; an invalid one fails the
 * test when the server is disposed.
 */
export interface TestServerOptions {
  /** 0 (default) for any free port; a fixed port to "restart" a server where the last one was. */
  port?: number;
  /** Answer agent:connect with connection:ack (default true). */
  autoRegister?: boolean;
  /** Acknowledge every terminal:output as it arrives (default true). */
  autoAckOutput?: boolean;
  /** Acknowledge every trace:event as it arrives (default true). */
  autoAckTrace?: boolean;
  /** Answer each heartbeat with a heartbeat (default true). */
  echoHeartbeats?: boolean;
  /** Timings sent in connection:ack. */
  heartbeatIntervalMs?: number;
  heartbeatTimeoutMs?: number;
  /** Refuse every upgrade with this HTTP status (e.g. 401), as a server does for a bad token. */
  rejectUpgradeStatus?: number;
}

type ServerBehaviour = Required<Omit<TestServerOptions, 'port' | 'rejectUpgradeStatus'>>;

export const TEST_AGENT_ID = 'agent-test-1';
const WAIT_MS = 15_000;

type Waiter = { match: (message: AgentToServerMessage) => boolean; resolve: (message: AgentToServerMessage) => void };

/** One agent socket, as the server sees it. */
export class TestAgentLink {
  readonly received: AgentToServerMessage[] = [];
  /** performance.now() at the arrival of each message in `received`. */
  readonly receivedAt: number[] = [];
  readonly token: string | null;
  readonly path: string;
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly waiters = new Set<Waiter>();

  constructor(
    readonly socket: WebSocket,
    url: string,
    readonly index: number,
    private readonly server: TestServer,
    private readonly options: ServerBehaviour,
  ) {
    const parsed = new URL(url, 'ws://localhost');
    this.token = parsed.searchParams.get('token');
    this.path = parsed.pathname;
    this.closed = new Promise((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    socket.on('message', (data) => this.onMessage((data as Buffer).toString())); // a Buffer: binaryType is nodebuffer
  }

  send<K extends ServerToAgentType>(type: K, payload: ServerToAgentPayloads[K]): void {
    this.socket.send(JSON.stringify(toAgent(type, payload)));
  }

  /** Sends text as is (for invalid-message tests). */
  sendRaw(text: string): void {
    this.socket.send(text);
  }

  register(agentId = TEST_AGENT_ID): void {
    this.send('connection:ack', {
      connectionId: `conn-${this.index}`,
      agentId,
      serverVersion: 'test',
      heartbeatIntervalMs: this.options.heartbeatIntervalMs,
      heartbeatTimeoutMs: this.options.heartbeatTimeoutMs,
    });
  }

  execute(commandId: string, command: string, extra: Partial<ServerToAgentPayloads['command:execute']> = {}): void {
    this.send('command:execute', { commandId, command, ...extra });
  }

  /** The first message (since the socket opened) of this type that matches, waiting if needed. */
  waitFor<K extends AgentToServerType>(
    type: K,
    match: (message: MessageOfType<AgentToServerMessage, K>) => boolean = () => true,
    timeoutMs = WAIT_MS,
  ): Promise<MessageOfType<AgentToServerMessage, K>> {
    type M = MessageOfType<AgentToServerMessage, K>;
    const matches = (message: AgentToServerMessage): message is M => message.type === type && match(message as M);
    const found = this.received.find(matches);
    if (found) return Promise.resolve(found);
    return new Promise<M>((resolve, reject) => {
      const waiter: Waiter = {
        match: matches,
        resolve: (message) => {
          clearTimeout(timer);
          resolve(message as M);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`no ${type} matching within ${timeoutMs} ms on connection ${this.index}`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  waitForExit(commandId: string, timeoutMs = WAIT_MS) {
    return this.waitFor('command:exit', (m) => m.payload.commandId === commandId, timeoutMs);
  }

  /** trace:event payloads of one command on this connection, in arrival order. */
  traceOf(commandId: string) {
    return this.received.flatMap((m) => (m.type === 'trace:event' && m.payload.commandId === commandId ? [m.payload] : []));
  }

  /** terminal:output payloads of one command on this connection, in arrival order. */
  outputOf(commandId: string) {
    return this.received.flatMap((m) => (m.type === 'terminal:output' && m.payload.commandId === commandId ? [m.payload] : []));
  }

  private onMessage(text: string): void {
    const parsed = parseAgentMessage.parse(text);
    if (!parsed.ok) {
      this.server.protocolErrors.push(`${parsed.error}: ${text.slice(0, 200)}`);
      return;
    }
    const message = parsed.message;
    this.received.push(message);
    this.receivedAt.push(performance.now());
    this.server.onAgentMessage(this, message);
    if (message.type === 'agent:connect' && this.options.autoRegister) this.register();
    if (message.type === 'heartbeat' && this.options.echoHeartbeats) this.send('heartbeat', message.payload);
    if (message.type === 'terminal:output' && this.options.autoAckOutput) {
      this.send('output:ack', { commandId: message.payload.commandId, sequence: message.payload.sequence });
    }
    if (message.type === 'trace:event' && this.options.autoAckTrace) {
      this.send('trace:ack', { commandId: message.payload.commandId, sequence: message.payload.sequence });
    }
    for (const waiter of this.waiters) {
      if (waiter.match(message)) {
        this.waiters.delete(waiter);
        waiter.resolve(message);
      }
    }
  }
}

export class TestServer implements AsyncDisposable {
  readonly links: TestAgentLink[] = [];
  readonly protocolErrors: string[] = [];
  /** Pids from every command:started, so disposal can make sure nothing is left running. */
  readonly startedPids = new Set<number>();
  private readonly linkWaiters: Array<(link: TestAgentLink) => void> = [];
  private claimed = 0;

  private constructor(
    private readonly wss: WebSocketServer,
    readonly port: number,
    readonly options: ServerBehaviour,
  ) {
    wss.on('connection', (socket, request) => {
      const link = new TestAgentLink(socket, request.url ?? '/', this.links.length + 1, this, this.options);
      this.links.push(link);
      const waiter = this.linkWaiters.shift();
      if (waiter) {
        this.claimed++;
        waiter(link);
      }
    });
  }

  static async start(options: TestServerOptions = {}): Promise<TestServer> {
    const reject = options.rejectUpgradeStatus;
    const wss = new WebSocketServer({
      host: '127.0.0.1',
      port: options.port ?? 0,
      perMessageDeflate: true,
      ...(reject === undefined ? {} : { verifyClient: (_info, done) => done(false, reject) }),
    });
    await new Promise<void>((resolve, reject) => {
      wss.once('listening', resolve);
      wss.once('error', reject);
    });
    const { port } = wss.address() as AddressInfo;
    return new TestServer(wss, port, {
      autoRegister: options.autoRegister ?? true,
      autoAckOutput: options.autoAckOutput ?? true,
      autoAckTrace: options.autoAckTrace ?? true,
      echoHeartbeats: options.echoHeartbeats ?? true,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 30_000,
      heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? 60_000,
    });
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  /** The next agent socket not yet handed out by this method, waiting for it if needed. */
  nextLink(timeoutMs = WAIT_MS): Promise<TestAgentLink> {
    const ready = this.links[this.claimed];
    if (ready) {
      this.claimed++;
      return Promise.resolve(ready);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no agent connected within ${timeoutMs} ms`)), timeoutMs);
      this.linkWaiters.push((link) => {
        clearTimeout(timer);
        resolve(link);
      });
    });
  }

  /** The next socket, after its agent:connect has arrived (and been acknowledged, if automatic). */
  async nextRegistered(timeoutMs = WAIT_MS): Promise<{ link: TestAgentLink; connect: MessageOfType<AgentToServerMessage, 'agent:connect'> }> {
    const link = await this.nextLink(timeoutMs);
    const connect = await link.waitFor('agent:connect', () => true, timeoutMs);
    return { link, connect };
  }

  /** Every message of every connection, in arrival order per connection. */
  get allReceived(): AgentToServerMessage[] {
    return this.links.flatMap((link) => link.received);
  }

  onAgentMessage(_link: TestAgentLink, message: AgentToServerMessage): void {
    if (message.type === 'command:started') this.startedPids.add(message.payload.pid);
  }

  /** Stops listening and drops every socket (like a crashed server: no close handshake). */
  async close(): Promise<void> {
    for (const client of this.wss.clients) client.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
    for (const pid of this.startedPids) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // Already gone, as it should be.
      }
    }
    if (this.protocolErrors.length > 0) {
      throw new Error(`the agent sent invalid messages:\n${this.protocolErrors.join('\n')}`);
    }
  }
}

export { WebSocket };
