import { CommandStatus, toAgent, type AgentToServerPayloads } from '@onsembl/protocol';
import type { CommandPatch, CommandRecord, Store } from '../ports/store.js';
import type { CommandQueue } from './command-queue.js';
import type { AgentLink, Registry } from './registry.js';
import type { InFlight } from './scheduler.js';

/** The scheduler's memory of unfinished commands, which recovery fills at start and corrects on reconnect. */
export interface SchedulerMemory {
  readonly queues: ReadonlyMap<string, CommandQueue>;
  /** agentId → the command it was asked to run. */
  readonly inFlight: Map<string, InFlight>;
  /** commandId → the agent whose queue or in-flight slot holds it. */
  readonly owner: Map<string, string>;
  queueOf(agentId: string): CommandQueue;
}

/**
 * The scheduler's own steps that recovery takes, so a recovered command moves on exactly as any
 * other (and a subclass's overrides, such as a cluster node's fenced dispatch, apply to it too).
 */
export interface SchedulerSteps {
  started(agentId: string, commandId: string): void;
  finish(command: CommandRecord, patch: CommandPatch): Promise<boolean>;
  publishQueue(agentId: string): void;
  dispatch(agentId: string): void;
  /** Arms the server's timeout backstop of a running command for the time it has left. */
  armTimeout(agentId: string, flight: InFlight): void;
}

export type RecoveryStore = Pick<Store, 'listUnfinishedCommands' | 'lastOutputSequence' | 'lastTraceSequence'>;
export type RecoveryRegistry = Pick<Registry, 'setCurrentCommand' | 'setQueueLength'>;

/** What an agent says it still holds when it (re)connects. */
export type HeldCommands = AgentToServerPayloads['agent:connect']['running'];

/**
 * A scheduler's recovery after a server restart: what it loads from the store at start, and how it
 * settles, when each agent (re)connects, the commands it found running or dispatched with what the
 * agent actually still holds. Nothing is run twice: a command the agent no longer knows fails.
 */
export class SchedulerRecovery {
  constructor(
    private readonly store: RecoveryStore,
    private readonly registry: RecoveryRegistry,
    private readonly memory: SchedulerMemory,
    private readonly steps: SchedulerSteps,
  ) {}

  /**
   * Restores unfinished commands: queued ones wait again (a command dispatched just before the
   * restart is among them, still stored as queued), running ones await their agent, which resends
   * whatever is above the last output and trace sequences stored; their timeout runs on from
   * their start.
   */
  async load(): Promise<void> {
    const { queues, inFlight, owner } = this.memory;
    for (const command of await this.store.listUnfinishedCommands()) {
      owner.set(command.id, command.agentId);
      if (command.status === CommandStatus.queued) {
        this.memory.queueOf(command.agentId).push(command);
      } else {
        command.lastSequence = await this.store.lastOutputSequence(command.id);
        command.lastTraceSequence = await this.store.lastTraceSequence(command.id);
        const flight: InFlight = { command, interruptRequested: undefined, timer: undefined };
        inFlight.set(command.agentId, flight);
        this.steps.armTimeout(command.agentId, flight);
        this.registry.setCurrentCommand(command.agentId, command.id);
      }
    }
    for (const [agentId, queue] of queues) this.registry.setQueueLength(agentId, queue.size);
  }

  /**
   * An agent (re)connected and listed what it still holds. In-flight commands it does not know were
   * lost with a previous agent process: they fail rather than run twice. Known ones carry on; a pending
   * interrupt is delivered now. Then its next queued command is dispatched.
   */
  reconcile(agentId: string, link: AgentLink, held: HeldCommands): void {
    const { queues, inFlight, owner } = this.memory;
    const flight = inFlight.get(agentId);
    if (flight) {
      const report = held.find((h) => h.commandId === flight.command.id);
      if (!report) {
        inFlight.delete(agentId);
        if (flight.timer) clearTimeout(flight.timer);
        this.registry.setCurrentCommand(agentId, null);
        void this.steps.finish(flight.command, {
          status: CommandStatus.failed, exitCode: null, signal: null,
          message: 'lost: the agent restarted without finishing this command; it was not run again',
        });
      } else if (flight.interruptRequested) {
        link.send(toAgent('command:interrupt', { commandId: flight.command.id, reason: flight.interruptRequested }));
      }
    }
    for (const h of held) {
      // Commands the server already finished: the agent may forget them.
      if (!owner.has(h.commandId)) link.send(toAgent('command:ack', { commandId: h.commandId }));
      // Dispatched just before a server restart (stored as queued): it is the agent's, never send it again.
      const queued = inFlight.has(agentId) ? undefined : queues.get(agentId)?.remove(h.commandId);
      if (queued) {
        inFlight.set(agentId, { command: queued, interruptRequested: undefined, timer: undefined });
        this.registry.setCurrentCommand(agentId, queued.id);
        this.steps.started(agentId, queued.id);
        this.steps.publishQueue(agentId);
      }
    }
    this.steps.dispatch(agentId);
  }
}
