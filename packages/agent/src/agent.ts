import { EventEmitter } from 'node:events';
import { Limits, Reconnect, toServerFromAgent } from '@onsembl/protocol';
import type { Logger } from 'pino';
import { CommandTable } from './command/command-table.js';
import { AgentConnection, type CommandMessage, type ConnectionAck } from './connection/agent-connection.js';
import { agentSocketUrl, redactedUrl } from './connection/agent-url.js';
import type { AgentFatalError } from './connection/fatal-error.js';
import { defaultLogger } from './logger.js';
import { resolveOptions, type AgentOptions, type ResolvedOptions } from './options.js';
import { MemoryBudget } from './output/memory-budget.js';
import { SpoolDirectory } from './output/spool-directory.js';
import { CommandPolicy } from './policy.js';
import { runnerFor } from './runner/runner-registry.js';
import { AGENT_VERSION } from './version.js';

export interface AgentEvents {
  /** Registered with the server (after every connection:ack). */
  connected: [info: { agentId: string; connectionId: string }];
  /** A registered connection closed; the agent reconnects unless stopped or fatal. */
  disconnected: [info: { code: number; reason: string }];
  /** The server refused this agent for good (bad token, or replaced by another agent): no more reconnects. */
  fatal: [error: AgentFatalError];
}

export interface Agent {
  readonly agentId: string | undefined;
  readonly connected: boolean;
  /** Ends running commands (SIGINT, SIGTERM, SIGKILL), closes the socket, removes spool files. */
  stop(): Promise<void>;
  on<E extends keyof AgentEvents>(event: E, listener: (...args: AgentEvents[E]) => void): void;
}

/** What the agent says it can do (agent:connect `capabilities`). */
const CAPABILITIES = ['pty', 'interrupt', 'timeout', 'output-ack', 'resume'];
/** What an AI agent (claude, gemini, codex) can do. */
const AI_CAPABILITIES = ['interrupt', 'timeout', 'output-ack', 'resume', 'trace', 'sessions', 'budgets'];
/** Claude Code can ask a dashboard before it runs a tool (approval:request). */
const APPROVAL_CAPABILITIES = ['approvals'];
/** Longest escape sequence kept whole across a chunk cut; longer ones are cut like text. */
const ESCAPE_LOOKBACK_CHARS = 2_048;
/** A spool file takes this much output before a new one may start (acknowledged files are deleted). */
const SPOOL_SEGMENT_BYTES = 4 * 1024 * 1024;
/** Unacknowledged output per command, while connected, before the program is held. */
const UNACKED_WINDOW_BYTES = 4 * 1024 * 1024;

class OnsemblAgent implements Agent {
  private readonly events = new EventEmitter();
  private readonly logger: Logger;
  private readonly connection: AgentConnection;
  private readonly table: CommandTable;
  private readonly spool: SpoolDirectory;
  private currentAgentId: string | undefined;
  /** The AI session the last run reported: the next prompt continues it (the server decides). */
  private sessionId: string | undefined;
  /** The model the CLI last reported, for agent:connect when no --model was given. */
  private reportedModel: string | undefined;
  private stopping: Promise<void> | undefined;

  constructor(private readonly options: ResolvedOptions, logger: Logger) {
    this.logger = logger;
    const urls = options.urls.map((address) => agentSocketUrl(address, options.token));
    this.spool = new SpoolDirectory(options.spoolDir);
    this.connection = new AgentConnection(
      {
        urls,
        logUrls: urls.map(redactedUrl),
        logger,
        heartbeatIntervalMs: options.heartbeatIntervalMs,
        heartbeatTimeoutMs: options.heartbeatTimeoutMs,
        reconnectDelaysMs: options.reconnectDelaysMs,
        reconnectJitter: Reconnect.jitter,
        ca: options.ca,
      },
      {
        connectMessage: () => this.connectMessage(),
        onReady: (ack) => this.onReady(ack),
        onMessage: (message) => this.onMessage(message),
        onDrain: () => this.table.onDrain(),
        onDisconnected: (info) => {
          this.table.onDisconnected();
          this.events.emit('disconnected', info);
        },
        onFatal: (error) => this.events.emit('fatal', error),
      },
    );
    this.table = new CommandTable({
      context: {
        outbox: this.connection,
        logger,
        budget: new MemoryBudget(options.memoryLimitBytes),
        spool: this.spool,
        settings: {
          batchMs: options.outputBatchMs,
          unackedWindowBytes: UNACKED_WINDOW_BYTES,
          maxChunkBytes: Limits.outputChunkTargetBytes,
          escapeLookback: ESCAPE_LOOKBACK_CHARS,
          interruptGraceMs: options.interruptGraceMs,
          spoolSegmentBytes: SPOOL_SEGMENT_BYTES,
        },
        onSession: (sessionId, model) => {
          this.sessionId = sessionId;
          if (model !== undefined) this.reportedModel = model;
        },
      },
      runner: runnerFor(options.type, {
        shell: options.shell,
        cli: { cliPath: options.cli.path, model: options.cli.model, permissionMode: options.cli.permissionMode, cliArgs: options.cli.args },
      }),
      policy: new CommandPolicy(options.policy),
      token: options.token,
      defaultCwd: options.cwd,
    });
    this.connection.start();
  }

  get agentId(): string | undefined {
    return this.currentAgentId;
  }

  get connected(): boolean {
    return this.connection.ready;
  }

  on<E extends keyof AgentEvents>(event: E, listener: (...args: AgentEvents[E]) => void): void {
    this.events.on(event, listener as (...args: unknown[]) => void);
  }

  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    this.logger.info('agent stopping');
    // Exits of the stopped commands are sent if the server is reachable, before the socket closes.
    await this.table.stopAll();
    await this.connection.close();
    this.table.disposeAll();
    this.spool.remove();
    this.logger.info('agent stopped');
  }

  private connectMessage() {
    const { type, cli, cwd } = this.options;
    // Every type reports its working folder (agent cards show it); AI types their CLI's details too.
    const ai = type === 'shell'
      ? { cwd: cwd.slice(0, 4096) }
      : {
          cwd: cwd.slice(0, 4096),
          ...(cli.model ?? this.reportedModel ? { model: (cli.model ?? this.reportedModel ?? '').slice(0, 128) } : {}),
          ...(cli.version ? { cliVersion: cli.version.slice(0, 64) } : {}),
          ...(this.sessionId ? { sessionId: this.sessionId } : {}),
        };
    return toServerFromAgent('agent:connect', {
      name: this.options.name,
      type,
      version: AGENT_VERSION,
      hostname: this.options.hostname,
      capabilities: type === 'shell' ? CAPABILITIES : type === 'claude' ? [...AI_CAPABILITIES, ...APPROVAL_CAPABILITIES] : AI_CAPABILITIES,
      running: this.table.summaries(),
      ...ai,
    });
  }

  private onReady(ack: ConnectionAck): void {
    this.currentAgentId = ack.agentId;
    this.events.emit('connected', { agentId: ack.agentId, connectionId: ack.connectionId });
    // After the ack, everything not acknowledged goes again, in order, then exits that happened meanwhile.
    this.table.onReady();
  }

  private onMessage(message: CommandMessage): void {
    if (this.stopping) return;
    switch (message.type) {
      case 'command:execute':
        return this.table.execute(message.payload);
      case 'command:interrupt':
        return this.table.interrupt(message.payload.commandId, message.payload.reason);
      case 'output:ack':
        return this.table.acknowledgeOutput(message.payload.commandId, message.payload.sequence);
      case 'trace:ack':
        return this.table.acknowledgeTrace(message.payload.commandId, message.payload.sequence);
      case 'command:ack':
        return this.table.acknowledgeCommand(message.payload.commandId);
      case 'terminal:input':
        return this.table.toTerminal(message.payload.commandId, { input: message.payload.data });
      case 'terminal:resize':
        return this.table.toTerminal(message.payload.commandId, { cols: message.payload.cols, rows: message.payload.rows });
      case 'approval:response':
        return this.table.answerApproval(message.payload);
      case 'error':
        return; // Logged by the connection; nothing for the agent to do.
    }
  }
}

/** Starts an agent: it connects at once and keeps reconnecting until stopped or refused. */
export function startAgent(options: AgentOptions): Agent {
  const resolved = resolveOptions(options);
  return new OnsemblAgent(resolved, options.logger ?? defaultLogger());
}
