import { randomUUID } from 'node:crypto';
import {
  AgentType, CommandStatus, ErrorCode, ProtocolError, toAgent, toDashboard,
  type AgentToServerPayloads, type CommandStatusPayload, type InterruptReason, type Priority, type QueueEntry, type ServerToAgentPayloads,
} from '@onsembl/protocol';
import type { Logger } from 'pino';
import type { CommandPatch, CommandRecord, Store, TraceRecord } from '../ports/store.js';
import type { Broadcaster } from './broadcaster.js';
import { CommandQueue } from './command-queue.js';
import { finalStatusOf, statusPayload } from './command-status.js';
import type { OutputPipeline } from './output-pipeline.js';
import type { AgentLink, Registry } from './registry.js';
import { RetryStop, untilDone } from './retry.js';
import { SchedulerRecovery, type HeldCommands } from './scheduler-recovery.js';
import type { TracePipeline } from './trace-pipeline.js';
import type { ServerCounters } from './counters.js';

export interface SchedulerRequest {
  agentId: string;
  command: string;
  priority: Priority;
  timeoutMs?: number | undefined;
  requestId?: string | undefined;
  requestedBy: string;
  /** AI runs: budgets, and which session to continue (default: the agent's current one). */
  maxTokens?: number | undefined;
  maxCostUsd?: number | undefined;
  newSession?: boolean | undefined;
  sessionId?: string | undefined;
  /** The requesting dashboard's terminal size, for the command's PTY. */
  terminal?: TerminalSize | undefined;
}

export interface TerminalSize {
  cols: number;
  rows: number;
}

export interface SchedulerOptions {
  queueCapacity: number;
  /** Applied when a request names no timeout; undefined = no limit. */
  defaultTimeoutMs: number | undefined;
  /** Extra time the server waits past a command's timeout before interrupting it itself. */
  timeoutGraceMs: number;
  /** GET /metrics: commands by final status and how long they ran. */
  counters?: ServerCounters;
}

/** A command the agent was asked to run: dispatched, then running once the agent says it started. */
export interface InFlight {
  command: CommandRecord;
  interruptRequested: InterruptReason | undefined;
  timer: NodeJS.Timeout | undefined;
  /** Its exit is being handled (the pipelines are flushing). */
  exiting?: boolean;
  /** The agent last said the command is blocked reading its terminal. */
  waitingForInput?: boolean;
}

/**
 * Per-agent priority queues, one command at a time per agent, interrupts, timeouts and final states.
 * State changes happen synchronously in memory (so checks and broadcasts stay consistent), and store
 * writes are chained in order behind them.
 */
export class Scheduler {
  protected readonly queues = new Map<string, CommandQueue>();
  protected readonly inFlight = new Map<string, InFlight>();
  /** commandId → the agent whose queue or in-flight slot holds it. */
  protected readonly owner = new Map<string, string>();
  private writes: Promise<void> = Promise.resolve();
  private readonly retries = new RetryStop();
  /** Requests of each agent still being stored (they count towards its queue's capacity). */
  protected readonly storing = new Map<string, number>();
  /**
   * Each unfinished command's terminal size (from its request, then its viewer's resizes). Kept in
   * memory only: after a server restart a command starts at the agent's default size, and the next
   * resize of its viewer fixes that.
   */
  private readonly terminalSizes = new Map<string, TerminalSize>();
  /** Counts emergency stops, so a request stored while one ran is cancelled too. */
  protected stops = 0;
  private lastQueuedAt = 0;
  private readonly finishedListeners: ((commandId: string) => void)[] = [];
  private readonly recovery: SchedulerRecovery;

  constructor(
    protected readonly store: Store,
    protected readonly registry: Registry,
    protected readonly broadcaster: Broadcaster,
    protected readonly pipeline: OutputPipeline,
    protected readonly tracePipeline: TracePipeline,
    protected readonly options: SchedulerOptions,
    protected readonly logger: Logger,
  ) {
    // Closures, not bound methods: a subclass's overrides (a cluster node's dispatch) apply to recovered commands.
    this.recovery = new SchedulerRecovery(
      store,
      registry,
      { queues: this.queues, inFlight: this.inFlight, owner: this.owner, queueOf: (agentId) => this.queueOf(agentId) },
      {
        started: (agentId, commandId) => this.started(agentId, commandId),
        finish: (command, patch) => this.finish(command, patch),
        publishQueue: (agentId) => this.publishQueue(agentId),
        dispatch: (agentId) => this.dispatch(agentId),
        armTimeout: (agentId, flight) => this.armTimeout(agentId, flight),
      },
    );
  }

  /**
   * Queue times strictly increase on this server (a burst in one millisecond is spread over the next
   * few), so history sorts by arrival and pages never split a tie.
   */
  protected nextQueuedAt(): number {
    this.lastQueuedAt = Math.max(Date.now(), this.lastQueuedAt + 1);
    return this.lastQueuedAt;
  }

  /**
   * Stores a state change, after the ones before it. A failed write is retried until it succeeds
   * (docs/delivery.md, "When the store or the bus fails"): what waits on it (a final status to
   * dashboards, the command:ack that lets the agent forget the command) waits with it.
   */
  protected persist(write: () => Promise<void>): Promise<void> {
    this.writes = this.writes.then(async () => {
      if (!(await untilDone(write, this.retries))) this.logger.error('a command state was not stored: the store stayed down until shutdown');
    });
    return this.writes;
  }

  protected queueOf(agentId: string): CommandQueue {
    let queue = this.queues.get(agentId);
    if (!queue) this.queues.set(agentId, (queue = new CommandQueue()));
    return queue;
  }

  /** Restores unfinished commands after a restart (see SchedulerRecovery.load). */
  async load(): Promise<void> {
    await this.recovery.load();
  }

  protected refuseUnlessOnline(agentId: string): void {
    if (this.registry.isOnline(agentId)) return;
    const known = this.registry.info(agentId) !== undefined;
    throw new ProtocolError(
      ErrorCode.AGENT_OFFLINE,
      known ? `Agent ${agentId} is not connected` : `Agent ${agentId} is unknown`,
      { agentId },
    );
  }

  /** `queued`: the agent's queue length as this node knows it (requests still being stored count too). */
  protected refuseIfFull(agentId: string, queued: number): void {
    if (queued + (this.storing.get(agentId) ?? 0) < this.options.queueCapacity) return;
    throw new ProtocolError(
      ErrorCode.QUEUE_FULL,
      `Queue of agent ${agentId} is full (${this.options.queueCapacity} commands)`,
      { agentId },
    );
  }

  protected newCommand(req: SchedulerRequest): CommandRecord {
    const command: CommandRecord = {
      id: `cmd-${randomUUID()}`,
      agentId: req.agentId,
      command: req.command,
      priority: req.priority,
      status: CommandStatus.queued,
      requestedBy: req.requestedBy,
      timeoutMs: req.timeoutMs ?? this.options.defaultTimeoutMs,
      queuedAt: this.nextQueuedAt(),
      lastSequence: 0,
    };
    if (req.maxTokens !== undefined) command.maxTokens = req.maxTokens;
    if (req.maxCostUsd !== undefined) command.maxCostUsd = req.maxCostUsd;
    if (req.newSession !== undefined) command.newSession = req.newSession;
    if (req.sessionId !== undefined) command.resumeSessionId = req.sessionId;
    return command;
  }

  /**
   * Durable before anyone hears of it, and before it can be dispatched: "queued" means it survives
   * a crash. One attempt: a request the store cannot take is refused, not kept waiting.
   */
  protected async storeNew(command: CommandRecord): Promise<void> {
    const { agentId } = command;
    this.storing.set(agentId, (this.storing.get(agentId) ?? 0) + 1);
    try {
      await this.store.createCommand({ ...command });
    } catch (err) {
      this.logger.error({ err, agentId }, 'a command request was refused: the store failed');
      throw new ProtocolError(
        ErrorCode.STORE_UNAVAILABLE,
        'The server could not store the command, so nothing was queued: its database is failing. Try again shortly.',
        { agentId },
      );
    } finally {
      this.storing.set(agentId, (this.storing.get(agentId) ?? 1) - 1);
    }
  }

  async request(req: SchedulerRequest): Promise<CommandRecord> {
    this.refuseUnlessOnline(req.agentId);
    const queue = this.queueOf(req.agentId);
    this.refuseIfFull(req.agentId, queue.size);
    const command = this.newCommand(req);
    const stops = this.stops;
    await this.storeNew(command);
    this.owner.set(command.id, command.agentId);
    if (req.terminal) this.terminalSizes.set(command.id, req.terminal);
    this.broadcaster.broadcast(toDashboard('command:status', statusPayload(command, req.requestId)));
    if (this.stops !== stops) {
      await this.finish(command, { status: CommandStatus.cancelled, message: 'cancelled by emergency stop' });
      return command;
    }
    queue.push(command);
    this.publishQueue(command.agentId);
    this.dispatch(command.agentId);
    return command;
  }

  /** Cancels a queued command, or interrupts a running one (its final state comes with the agent's exit). */
  async interrupt(commandId: string, reason: InterruptReason = 'user'): Promise<'cancelled' | 'interrupting'> {
    const agentId = this.owner.get(commandId);
    const removed = agentId === undefined ? undefined : this.queues.get(agentId)?.remove(commandId);
    if (agentId !== undefined && removed) {
      await this.finish(removed, { status: CommandStatus.cancelled, message: `cancelled before it ran (${reason})` });
      this.publishQueue(agentId);
      return 'cancelled';
    }
    const flight = agentId === undefined ? undefined : this.inFlight.get(agentId);
    if (agentId === undefined || !flight || flight.command.id !== commandId) {
      const stored = await this.store.getCommand(commandId);
      throw new ProtocolError(
        ErrorCode.COMMAND_NOT_FOUND,
        stored ? `Command ${commandId} already finished (${stored.status})` : `Command ${commandId} is unknown`,
        { commandId },
      );
    }
    flight.interruptRequested = reason;
    const link = this.registry.link(agentId);
    // An offline agent gets the interrupt when it reconnects (see reconcile).
    link?.send(toAgent('command:interrupt', { commandId, reason }));
    return 'interrupting';
  }

  /** Empties every queue and interrupts every running command, on every agent. */
  async emergencyStop(): Promise<{ cancelled: string[]; interrupted: string[] }> {
    const cancelled: string[] = [];
    const interrupted: string[] = [];
    this.stops++;
    for (const [agentId, queue] of this.queues) {
      const removed = queue.clear();
      for (const command of removed) {
        await this.finish(command, { status: CommandStatus.cancelled, message: 'cancelled by emergency stop' });
        cancelled.push(command.id);
      }
      if (removed.length > 0) this.publishQueue(agentId);
    }
    for (const flight of this.inFlight.values()) {
      await this.interrupt(flight.command.id, 'emergency');
      interrupted.push(flight.command.id);
    }
    return { cancelled, interrupted };
  }

  /** Sends the next queued command to an idle, connected agent. */
  dispatch(agentId: string): void {
    if (this.inFlight.has(agentId)) return;
    const link = this.registry.link(agentId);
    if (!link) return;
    const command = this.queues.get(agentId)?.shift();
    if (!command) return;
    this.inFlight.set(agentId, { command, interruptRequested: undefined, timer: undefined });
    this.registry.setCurrentCommand(agentId, command.id);
    this.publishQueue(agentId);
    this.sendExecute(link, command);
  }

  protected sendExecute(link: AgentLink, command: CommandRecord): void {
    // The session is chosen now, not at request time: an earlier command may have started a new one.
    if (command.resumeSessionId === undefined && !command.newSession) command.resumeSessionId = this.registry.sessionOf(command.agentId);
    const payload: ServerToAgentPayloads['command:execute'] = { commandId: command.id, command: command.command };
    if (command.timeoutMs !== undefined) payload.timeoutMs = command.timeoutMs;
    if (command.resumeSessionId !== undefined) payload.resumeSessionId = command.resumeSessionId;
    if (command.maxTokens !== undefined) payload.maxTokens = command.maxTokens;
    if (command.maxCostUsd !== undefined) payload.maxCostUsd = command.maxCostUsd;
    // AI agents may ask dashboards before a tool runs (Claude Code; the others ignore it).
    const type = this.registry.info(command.agentId)?.type;
    if (type !== undefined && type !== AgentType.shell) payload.approvals = true;
    const size = this.terminalSizes.get(command.id);
    if (size) Object.assign(payload, size);
    link.send(toAgent('command:execute', payload));
  }

  /** The agent running `commandId` right now, if any (for what goes to a running command's terminal). */
  runningOn(commandId: string): string | undefined {
    const agentId = this.owner.get(commandId);
    const flight = agentId === undefined ? undefined : this.inFlight.get(agentId);
    return flight?.command.id === commandId && flight.command.status === CommandStatus.running ? agentId : undefined;
  }

  /** The running command's viewer resized: remember it (a re-dispatch uses it) and tell the agent. */
  resize(commandId: string, size: TerminalSize): boolean {
    const agentId = this.runningOn(commandId);
    if (agentId === undefined) return false;
    this.terminalSizes.set(commandId, size);
    this.registry.link(agentId)?.send(toAgent('terminal:resize', { commandId, ...size }));
    return true;
  }

  /** Keystrokes for a running command; false when it is not running (nothing is sent). */
  input(commandId: string, data: string): boolean {
    const agentId = this.runningOn(commandId);
    const link = agentId === undefined ? undefined : this.registry.link(agentId);
    if (!link) return false;
    link.send(toAgent('terminal:input', { commandId, data }));
    return true;
  }

  /** The agent says its running command waits (or no longer waits) for terminal input. */
  waiting(agentId: string, commandId: string, waiting: boolean): void {
    const flight = this.inFlight.get(agentId);
    if (!flight || flight.command.id !== commandId || flight.command.status !== CommandStatus.running) return;
    if ((flight.waitingForInput ?? false) === waiting) return;
    flight.waitingForInput = waiting;
    this.broadcaster.broadcast(toDashboard('command:status', { ...statusPayload(flight.command), waitingForInput: waiting }));
  }

  started(agentId: string, commandId: string): void {
    const flight = this.inFlight.get(agentId);
    if (!flight || flight.command.id !== commandId || flight.command.status === CommandStatus.running) return;
    const command = flight.command;
    command.status = CommandStatus.running;
    command.startedAt = Date.now();
    const patch: CommandPatch = { status: command.status, startedAt: command.startedAt };
    if (command.resumeSessionId !== undefined) patch.resumeSessionId = command.resumeSessionId;
    this.recordStarted(command, patch);
    this.armTimeout(agentId, flight);
  }

  /**
   * The agent enforces a command's timeout itself; this is the backstop for an agent that does not,
   * counted from the command's start: a command recovered after a restart (or adopted from another
   * node) gets the time it has left, and is interrupted at once when past it.
   */
  protected armTimeout(agentId: string, flight: InFlight): void {
    const { command } = flight;
    if (command.timeoutMs === undefined || command.startedAt === undefined) return;
    if (flight.timer) clearTimeout(flight.timer);
    const left = command.startedAt + command.timeoutMs + this.options.timeoutGraceMs - Date.now();
    flight.timer = setTimeout(() => {
      if (this.inFlight.get(agentId) === flight) void this.interrupt(command.id, 'timeout').catch(() => undefined);
    }, Math.max(0, left));
    flight.timer.unref();
  }

  /** Accepts one output chunk; returns false for a duplicate (already stored) or a stranger's chunk. */
  output(agentId: string, link: AgentLink, chunk: AgentToServerPayloads['terminal:output']): boolean {
    const flight = this.inFlight.get(agentId);
    if (!flight || flight.command.id !== chunk.commandId) {
      // A resend for a command that already reached its final state: let the agent forget it.
      link.send(toAgent('command:ack', { commandId: chunk.commandId }));
      return false;
    }
    const command = flight.command;
    if (chunk.sequence <= command.lastSequence) {
      this.pipeline.acknowledgeWhenStored(link, command.id, command.lastSequence);
      return false;
    }
    if (chunk.sequence !== command.lastSequence + 1) {
      this.logger.warn({ commandId: command.id, expected: command.lastSequence + 1, got: chunk.sequence }, 'output sequence gap');
    }
    command.lastSequence = chunk.sequence;
    this.pipeline.enqueue(
      { commandId: command.id, sequence: chunk.sequence, stream: chunk.stream, data: chunk.data, createdAt: Date.now() },
      link,
    );
    this.broadcaster.broadcast(
      toDashboard('terminal:output', {
        commandId: command.id, agentId, data: chunk.data, stream: chunk.stream, sequence: chunk.sequence,
      }),
    );
    return true;
  }

  /**
   * Accepts one trace event of an AI run (its JSON text already measured by the session): dropped
   * when a duplicate, else broadcast and stored in the next batch. A session event makes its session
   * the agent's current one.
   */
  trace(agentId: string, link: AgentLink, payload: AgentToServerPayloads['trace:event'], eventText: string): void {
    const { commandId, sequence, event } = payload;
    const flight = this.inFlight.get(agentId);
    if (!flight || flight.command.id !== commandId) {
      link.send(toAgent('command:ack', { commandId }));
      return;
    }
    const command = flight.command;
    const traces = this.tracePipeline;
    traces.open(command.id, command.lastTraceSequence ?? 0);
    if (traces.accept(command.id, sequence, link) === 'duplicate') return;
    const record: TraceRecord = { commandId, sequence, kind: event.kind, event: eventText, createdAt: Date.now() };
    if (event.kind === 'usage') {
      const { inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens, costUsd, costSource, model } = event;
      record.usage = { inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens, costUsd, costSource, model };
    }
    traces.enqueue(record, link);
    command.lastTraceSequence = sequence;
    if (record.usage) command.usage = record.usage;
    if (event.kind === 'session') {
      command.sessionId = event.sessionId;
      this.registry.setSession(agentId, { sessionId: event.sessionId, model: event.model, cwd: event.cwd });
    }
    this.broadcaster.broadcastTrace({ commandId, agentId, sequence }, eventText);
  }

  async exited(agentId: string, link: AgentLink, exit: AgentToServerPayloads['command:exit']): Promise<void> {
    const flight = this.inFlight.get(agentId);
    if (!flight || flight.command.id !== exit.commandId) {
      link.send(toAgent('command:ack', { commandId: exit.commandId }));
      return;
    }
    if (flight.exiting) return;
    flight.exiting = true;
    // Every chunk and trace event of this command arrived before its exit: store them before the final state.
    await Promise.all([this.pipeline.flush(), this.tracePipeline.flush()]);
    flight.exiting = false;
    if (this.inFlight.get(agentId) !== flight) return; // finished meanwhile (lost with a restarted agent)
    const command = flight.command;
    this.inFlight.delete(agentId);
    if (flight.timer) clearTimeout(flight.timer);
    const status = finalStatusOf(exit);
    const message = exit.message ?? (exit.outcome === 'timeout' ? `timed out after ${command.timeoutMs} ms` : undefined);
    const patch: CommandPatch = {
      status, exitCode: exit.exitCode, signal: exit.signal, durationMs: exit.durationMs,
      startedAt: command.startedAt ?? Date.now() - exit.durationMs, message,
    };
    if (exit.stopReason !== undefined) patch.stopReason = exit.stopReason;
    if (exit.sessionId !== undefined) {
      patch.sessionId = exit.sessionId;
      this.registry.setSession(agentId, { sessionId: exit.sessionId });
    }
    // False only among several nodes, when this one lost the agent meanwhile: its new owner has
    // the exit resent and finishes the command; nothing here may be said or acknowledged.
    if (!(await this.finish(command, patch))) return;
    if (status === CommandStatus.timeout) {
      this.broadcaster.broadcast(toDashboard('error', {
        code: ErrorCode.COMMAND_TIMEOUT, recoverable: true, commandId: command.id, agentId,
        message: `Command ${command.id} exceeded its timeout of ${command.timeoutMs} ms`,
      }));
    } else if (exit.outcome === 'denied') {
      this.broadcaster.broadcast(toDashboard('error', {
        code: ErrorCode.COMMAND_DENIED, recoverable: true, commandId: command.id, agentId,
        message: `Agent ${agentId} refused to run "${command.command.slice(0, 200)}": ${exit.message ?? 'denied by its policy'}`,
      }));
    }
    this.registry.setCurrentCommand(agentId, null);
    link.send(toAgent('command:ack', { commandId: command.id }));
    this.dispatch(agentId);
  }

  /** Called with each command that reaches its final state (at once, before it is stored). */
  onFinished(listener: (commandId: string) => void): void {
    this.finishedListeners.push(listener);
  }

  /** The command started: dashboards hear it at once, the store follows (retried until it takes it). */
  protected recordStarted(command: CommandRecord, patch: CommandPatch): void {
    this.broadcaster.broadcast(toDashboard('command:status', statusPayload(command)));
    void this.persist(() => this.store.updateCommand(command.id, patch));
  }

  /** Stores a final state, then tells every dashboard; false when it may not be written (several nodes: fenced out). */
  protected async recordFinal(command: CommandRecord, stored: CommandPatch): Promise<boolean> {
    // Stored before anyone hears of it, so the REST API never contradicts what a dashboard was told.
    await this.persist(() => this.store.updateCommand(command.id, stored));
    this.broadcaster.broadcast(toDashboard('command:status', statusPayload(command)));
    return true;
  }

  /** Moves a command to a final state: memory at once, then the store, then every dashboard. */
  protected async finish(command: CommandRecord, patch: CommandPatch): Promise<boolean> {
    Object.assign(command, patch, { finishedAt: Date.now() });
    for (const listener of this.finishedListeners) listener(command.id);
    this.owner.delete(command.id);
    this.terminalSizes.delete(command.id);
    this.tracePipeline.forget(command.id);
    const stored: CommandPatch = { ...patch, finishedAt: command.finishedAt, lastSequence: command.lastSequence };
    if (command.lastTraceSequence !== undefined) stored.lastTraceSequence = command.lastTraceSequence;
    if (command.sessionId !== undefined) stored.sessionId = command.sessionId;
    const written = await this.recordFinal(command, stored);
    const ran = command.durationMs ?? (command.startedAt === undefined ? undefined : (command.finishedAt ?? Date.now()) - command.startedAt);
    if (written) this.options.counters?.commandFinished(command.status, ran);
    return written;
  }

  protected publishQueue(agentId: string): void {
    const queue = this.queueOf(agentId);
    this.registry.setQueueLength(agentId, queue.size);
    this.broadcaster.broadcast(toDashboard('command:queue', { agentId, queue: queue.snapshot() }));
  }

  /** Queue snapshots and in-flight commands, for a dashboard that just connected. */
  snapshot(): { queues: Array<{ agentId: string; queue: QueueEntry[] }>; running: CommandStatusPayload[] } {
    const queues = [...this.queues].filter(([, q]) => q.size > 0).map(([agentId, q]) => ({ agentId, queue: q.snapshot() }));
    return { queues, running: [...this.inFlight.values()].map((f) => statusPayload(f.command)) };
  }

  /** An agent (re)connected and listed what it still holds (see SchedulerRecovery.reconcile). */
  reconcile(agentId: string, link: AgentLink, held: HeldCommands): void {
    this.recovery.reconcile(agentId, link, held);
  }

  /** Resolves once every output chunk received so far is stored (readers of the REST API call it). */
  flushOutput(): Promise<void> {
    return this.pipeline.flush();
  }

  /** Resolves once every trace event received so far is stored. */
  flushTrace(): Promise<void> {
    return this.tracePipeline.flush();
  }

  async close(): Promise<void> {
    for (const flight of this.inFlight.values()) if (flight.timer) clearTimeout(flight.timer);
    await Promise.all([this.pipeline.flush(), this.tracePipeline.flush()]);
    await this.writes;
  }

  /** Shutdown with the store down: stops retrying writes (their agents resend what was not acknowledged). */
  async abandon(): Promise<void> {
    this.retries.stop();
    const chunks = await this.pipeline.abandon();
    if (chunks > 0) this.logger.warn({ chunks }, 'output not stored at shutdown: its agents still hold it and resend it');
    const traces = await this.tracePipeline.abandon();
    if (traces > 0) this.logger.warn({ traceEvents: traces }, 'trace events not stored at shutdown: their agents still hold them and resend them');
    await this.writes;
  }
}
