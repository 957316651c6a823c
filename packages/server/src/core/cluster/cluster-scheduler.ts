import {
  CommandStatus, ErrorCode, ProtocolError, toAgent, toDashboard, type CommandStatusPayload, type InterruptReason, type QueueEntry, type ServerToDashboardMessage,
} from '@onsembl/protocol';
import type { Logger } from 'pino';
import type { ClusterHint, Coordination, Fence, UnfinishedCommand } from '../../ports/coordination.js';
import type { CommandPatch, CommandRecord, Store } from '../../ports/store.js';
import { statusPayload } from '../command-status.js';
import type { OutputPipeline } from '../output-pipeline.js';
import { Scheduler, type InFlight, type SchedulerOptions, type SchedulerRequest } from '../scheduler.js';
import type { TracePipeline } from '../trace-pipeline.js';
import type { ClusterBroadcaster } from './cluster-broadcaster.js';
import type { ClusterRegistry, OwnershipListener } from './cluster-registry.js';
import type { ClusterView } from './cluster-view.js';

export interface ClusterSchedulerOptions extends SchedulerOptions {
  /** How often a node reads its agents' queues and interrupts from the store (what a lost hint would have said). */
  pollMs: number;
}

const noop = (): void => undefined;

/** What an emergency stop reached, by command id. */
export interface StopReached {
  cancelled: string[];
  interrupted: string[];
}

/** The answer to an emergency stop, made of what it reached; committed in the stop's transaction. */
export type StopAnswer = (reached: StopReached) => ServerToDashboardMessage;

/** A stored unfinished command as the scheduler holds it in memory. */
function recordOf(c: UnfinishedCommand): CommandRecord {
  const { dispatched: _d, interruptRequested: _i, ...command } = c;
  return command;
}

/**
 * The scheduler of a node among several. It runs the commands of the agents whose sockets are on
 * this node, exactly as one server does, with every write that matters made under the agent's
 * fence (a start, a final state and its status in one transaction; a dispatch only if the command
 * is still queued and the fence holds). Requests, cancels, interrupts and emergency stops for
 * agents on other nodes go through the store, and a hint on the bus tells the owner to look;
 * owners also read their agents' queues from the store every `pollMs`, so a lost hint only delays.
 */
export class ClusterScheduler extends Scheduler implements OwnershipListener {
  private readonly dispatching = new Set<string>();
  /** commandId → the interrupt already sent to its agent from this node. */
  private readonly interruptsSent = new Map<string, InterruptReason>();
  private pollTimer: NodeJS.Timeout | undefined;
  /** agentId → the generation its commands in memory were taken under. */
  private readonly generations = new Map<string, number>();
  /** agentId → the command whose dispatch the store just refused (cancelled meanwhile, or fenced out). */
  private readonly refused = new Map<string, string>();

  constructor(
    store: Store,
    private readonly cluster: ClusterRegistry,
    private readonly events: ClusterBroadcaster,
    pipeline: OutputPipeline,
    tracePipeline: TracePipeline,
    private readonly clusterOptions: ClusterSchedulerOptions,
    logger: Logger,
    private readonly coordination: Coordination,
    private readonly view: ClusterView,
    private readonly hint: (hint: ClusterHint) => void,
  ) {
    super(store, cluster, events, pipeline, tracePipeline, clusterOptions, logger);
  }

  /** Nothing is loaded for the whole cluster: a node takes an agent's commands when it claims the agent. */
  override async load(): Promise<void> {
    this.pollTimer = setInterval(() => void this.refresh(this.cluster.owned()), this.clusterOptions.pollMs);
    this.pollTimer.unref();
  }

  /** This node claimed the agent: its unfinished commands come from the store (then reconcile runs). */
  async adopted(agentId: string, generation: number): Promise<void> {
    if (this.generations.get(agentId) === generation) return; // back on this node, nobody held it meanwhile
    const rows = await this.coordination.unfinishedCommands([agentId]);
    this.released(agentId);
    this.generations.set(agentId, generation);
    const queue = this.queueOf(agentId);
    for (const row of rows) {
      this.owner.set(row.id, agentId);
      const command = recordOf(row);
      if ((row.dispatched || row.status === CommandStatus.running) && !this.inFlight.has(agentId)) {
        // Resends above what reached dashboards count as new: a node that died between storing a
        // chunk and committing its event left it stored but never shown (stored again: ignored).
        const shown = await this.coordination.lastEventSequences(command.id);
        command.lastSequence = shown.output;
        if (shown.trace > 0) command.lastTraceSequence = shown.trace;
        const flight: InFlight = { command, interruptRequested: row.interruptRequested, timer: undefined };
        this.inFlight.set(agentId, flight);
        this.armTimeout(agentId, flight);
        // Reconcile delivers a recorded interrupt to the agent as it comes back.
        if (row.interruptRequested) this.interruptsSent.set(command.id, row.interruptRequested);
        this.registry.setCurrentCommand(agentId, command.id);
      } else if (row.status === CommandStatus.queued && !row.dispatched) {
        queue.push(command);
      }
    }
    this.registry.setQueueLength(agentId, queue.size);
  }

  /** This node no longer holds the agent: its commands stay in the store for whoever does next. */
  released(agentId: string): void {
    const flight = this.inFlight.get(agentId);
    if (flight?.timer) clearTimeout(flight.timer);
    if (flight) {
      this.owner.delete(flight.command.id);
      this.interruptsSent.delete(flight.command.id);
    }
    this.inFlight.delete(agentId);
    for (const command of this.queues.get(agentId)?.clear() ?? []) this.owner.delete(command.id);
    this.queues.delete(agentId);
    this.dispatching.delete(agentId);
    this.generations.delete(agentId);
  }

  override async request(req: SchedulerRequest): Promise<CommandRecord> {
    if (this.cluster.fenceOf(req.agentId)) return super.request(req);
    // Its owner is another node: stored here, announced here, run there.
    this.refuseUnlessOnline(req.agentId);
    this.refuseIfFull(req.agentId, this.view.queueLength(req.agentId));
    const command = this.newCommand(req);
    this.storing.set(req.agentId, (this.storing.get(req.agentId) ?? 0) + 1);
    try {
      // Stored with its queued status in one transaction: the owner finds it only after that status.
      await this.events.announceNew(toDashboard('command:status', statusPayload(command, req.requestId)), { ...command });
    } catch (err) {
      this.logger.error({ err, agentId: req.agentId }, 'a command request was refused: the store failed');
      throw new ProtocolError(
        ErrorCode.STORE_UNAVAILABLE,
        'The server could not store the command, so nothing was queued: its database is failing. Try again shortly.',
        { agentId: req.agentId },
      );
    } finally {
      this.storing.set(req.agentId, (this.storing.get(req.agentId) ?? 1) - 1);
    }
    this.hint({ kind: 'queue', agentId: req.agentId });
    return command;
  }

  override async interrupt(commandId: string, reason: InterruptReason = 'user'): Promise<'cancelled' | 'interrupting'> {
    const agentId = this.owner.get(commandId);
    if (agentId !== undefined && this.cluster.fenceOf(agentId)) {
      const outcome = await super.interrupt(commandId, reason);
      if (outcome === 'interrupting') {
        this.interruptsSent.set(commandId, reason);
        // Recorded too, so a node that adopts the agent next delivers it again.
        void this.coordination.requestInterrupt([commandId], reason).catch(noop);
      }
      return outcome;
    }
    const [cancelled] = await this.coordination.cancelQueued([commandId], this.cancelPatch(`cancelled before it ran (${reason})`));
    if (cancelled) {
      this.events.broadcastUnowned(toDashboard('command:status', statusPayload(cancelled)));
      this.hint({ kind: 'queue', agentId: cancelled.agentId });
      return 'cancelled';
    }
    const [interrupted] = await this.coordination.requestInterrupt([commandId], reason);
    if (interrupted) {
      this.hint({ kind: 'interrupt' });
      return 'interrupting';
    }
    const stored = await this.store.getCommand(commandId);
    throw new ProtocolError(
      ErrorCode.COMMAND_NOT_FOUND,
      stored ? `Command ${commandId} already finished (${stored.status})` : `Command ${commandId} is unknown`,
      { commandId },
    );
  }

  /**
   * Every queue in the cluster is emptied and every command sent or running is interrupted,
   * whichever node holds it. The cancelled statuses and the answer are committed in the stop's own
   * transaction, which every command insert serializes with: a request acknowledged before the
   * answer was stored before the stop and is cancelled by it; one stored later comes after it.
   */
  override async emergencyStop(answer?: StopAnswer): Promise<StopReached> {
    this.stops++;
    let reached: StopReached = { cancelled: [], interrupted: [] };
    const outcome = await this.events.commitStop(this.cancelPatch('cancelled by emergency stop'), (stopped) => {
      reached = { cancelled: stopped.cancelled.map((c) => c.id), interrupted: stopped.interrupted.map((c) => c.id) };
      const statuses = stopped.cancelled.map((command) => toDashboard('command:status', statusPayload(command)));
      return answer ? [...statuses, answer(reached)] : statuses;
    });
    for (const agentId of new Set(outcome.cancelled.map((c) => c.agentId))) this.hint({ kind: 'queue', agentId });
    if (outcome.interrupted.length > 0) this.hint({ kind: 'interrupt' });
    await this.refresh(this.cluster.owned());
    return reached;
  }

  /** A hint from another node. */
  onHint(hint: ClusterHint): void {
    if (hint.kind === 'queue' && this.cluster.fenceOf(hint.agentId)) void this.refresh([hint.agentId]);
    else if (hint.kind === 'interrupt') void this.refresh(this.cluster.owned());
  }

  /** Sends the next queued command, once the store agrees it is still queued and this node still owns the agent. */
  override dispatch(agentId: string): void {
    if (this.inFlight.has(agentId) || this.dispatching.has(agentId)) return;
    const link = this.registry.link(agentId);
    const fence = this.cluster.fenceOf(agentId);
    if (!link || !fence) return;
    const command = this.queues.get(agentId)?.shift();
    if (!command) return;
    this.dispatching.add(agentId);
    const settle = (sent: boolean, refused = !sent) => {
      this.dispatching.delete(agentId);
      if (this.cluster.fenceOf(agentId) !== fence) return; // lost the agent meanwhile
      if (!sent || this.inFlight.has(agentId)) {
        // Cancelled elsewhere, or fenced out, or the store could not say: the store's queue is the truth.
        if (refused) this.refused.set(agentId, command.id);
        void this.refresh([agentId]);
        return;
      }
      this.inFlight.set(agentId, { command, interruptRequested: undefined, timer: undefined });
      this.registry.setCurrentCommand(agentId, command.id);
      this.publishQueue(agentId);
      const current = this.registry.link(agentId);
      if (current) this.sendExecute(current, command);
    };
    this.coordination.dispatchCommand(command.id, fence).then((sent) => settle(sent), () => settle(false, false));
  }

  /**
   * The fence this node's commands for the agent were taken under. It outlives the agent's socket
   * here (the agent usually comes back, under the same generation) and goes when another node
   * claims the agent or this node loses its lease. Owner writes go under it and nothing else: a
   * write made after the socket closed, or by a node that does not know yet that it lost the
   * agent, is refused by the store instead of landing unfenced.
   */
  heldFence(agentId: string): Fence | undefined {
    const generation = this.generations.get(agentId);
    return generation === undefined ? undefined : { agentId, generation };
  }

  protected override recordStarted(command: CommandRecord, patch: CommandPatch): void {
    const fence = this.heldFence(command.agentId);
    if (fence) void this.events.commit(toDashboard('command:status', statusPayload(command)), { commandId: command.id, patch }, fence);
  }

  /** The final state and its status in one transaction under the owner's fence. */
  protected override recordFinal(command: CommandRecord, stored: CommandPatch): Promise<boolean> {
    const fence = this.heldFence(command.agentId);
    if (!fence) return Promise.resolve(false); // released meanwhile: the new owner finishes it
    return this.events.commit(toDashboard('command:status', statusPayload(command)), { commandId: command.id, patch: stored }, fence);
  }

  override snapshot(): { queues: Array<{ agentId: string; queue: QueueEntry[] }>; running: CommandStatusPayload[] } {
    return this.view.snapshot();
  }

  override async close(): Promise<void> {
    clearInterval(this.pollTimer);
    await super.close();
  }

  private cancelPatch(message: string): CommandPatch {
    return { status: CommandStatus.cancelled, message, finishedAt: Date.now(), lastSequence: 0 };
  }

  /**
   * Reads these agents' queues and interrupts from the store (the truth) and brings this node's
   * memory in line: commands queued or cancelled elsewhere, interrupts recorded elsewhere.
   */
  private async refresh(agentIds: readonly string[]): Promise<void> {
    if (agentIds.length === 0) return;
    let rows: UnfinishedCommand[];
    try {
      rows = await this.coordination.unfinishedCommands(agentIds);
    } catch {
      return; // the store is down (Health says so); the next poll tries again
    }
    for (const agentId of agentIds) {
      if (!this.cluster.fenceOf(agentId) || this.dispatching.has(agentId) || (this.storing.get(agentId) ?? 0) > 0) continue;
      const flight = this.inFlight.get(agentId);
      const queued = rows.filter((r) => r.agentId === agentId && r.status === CommandStatus.queued && !r.dispatched && r.id !== flight?.command.id);
      const refused = this.refused.get(agentId);
      this.refused.delete(agentId);
      if (refused !== undefined && queued.some((r) => r.id === refused)) {
        // Refused although still queued and not sent: only the fence failed. Another node claimed
        // the agent and this one has not heard (a lost hint, a pause): its socket here is stale.
        this.logger.warn({ agentId, commandId: refused }, 'a dispatch was refused: another node owns this agent now (fenced out)');
        this.cluster.fencedOut(agentId);
        continue;
      }
      const queue = this.queueOf(agentId);
      if (queue.snapshot().map((e) => e.commandId).join(' ') !== queued.map((r) => r.id).join(' ')) {
        for (const old of queue.clear()) this.owner.delete(old.id);
        for (const row of queued) {
          queue.push(recordOf(row));
          this.owner.set(row.id, agentId);
        }
        this.publishQueue(agentId);
      }
      const asked = flight && rows.find((r) => r.id === flight.command.id)?.interruptRequested;
      if (flight && asked && this.interruptsSent.get(flight.command.id) !== asked) {
        flight.interruptRequested = asked;
        this.interruptsSent.set(flight.command.id, asked);
        this.registry.link(agentId)?.send(toAgent('command:interrupt', { commandId: flight.command.id, reason: asked }));
      }
      this.dispatch(agentId);
    }
  }
}
