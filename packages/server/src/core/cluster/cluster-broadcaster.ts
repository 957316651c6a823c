import type { ServerToDashboardMessage } from '@onsembl/protocol';
import type { Logger } from 'pino';
import { BusTopic, type Bus } from '../../ports/bus.js';
import type { Fence, StopOutcome } from '../../ports/coordination.js';
import type { CommandPatch, CommandRecord, EventReference } from '../../ports/store.js';
import type { Broadcaster, EventSink } from '../broadcaster.js';
import { noCounters, SocketRole, type ServerCounters } from '../counters.js';
import type { FeedEvent } from './event-feed.js';
import type { SharedEventLog } from './shared-event-log.js';

const SEPARATOR = '\n';

/** The agent an event is about, so its owner's fence goes with it. */
function agentOf(message: ServerToDashboardMessage): string | undefined {
  switch (message.type) {
    case 'agent:status':
      return message.payload.agent.id;
    case 'command:queue':
    case 'command:status':
    case 'terminal:output':
    case 'output:gap':
    case 'trace:event':
    case 'approval:request':
    case 'approval:decided':
      return message.payload.agentId;
    case 'error':
      return message.payload.agentId;
    // About no single agent, or never stored.
    case 'agent:list':
    case 'emergency:stop':
    case 'connection:ack':
    case 'heartbeat':
    case 'token:refreshed':
      return undefined;
  }
}

/** `offset type [commandId agentId sequence]\n<json>`: enough to order, route and drop without parsing. */
export function encodeFeedEvent(event: FeedEvent): string {
  const o = event.output;
  return `${event.offset} ${event.type}${o ? ` ${o.commandId} ${o.agentId} ${o.sequence}` : ''}${SEPARATOR}${event.text}`;
}

export function decodeFeedEvent(message: string): FeedEvent | undefined {
  const cut = message.indexOf(SEPARATOR);
  if (cut < 0) return undefined;
  const [offset, type = '', commandId, agentId = '', sequence = '0'] = message.slice(0, cut).split(' ');
  const at = Number(offset);
  if (!Number.isSafeInteger(at) || at <= 0) return undefined;
  return {
    offset: at, type, text: message.slice(cut + 1),
    output: commandId === undefined ? undefined : { commandId, agentId, sequence: Number(sequence) },
  };
}

/**
 * The broadcaster of a node among several: an event is committed to the shared log first (under
 * the fence of the agent's owner when this node owns it), then handed to this node's feed and
 * published for the others. Every node delivers what its feed orders: its own events and the
 * others', once each, in offset order.
 */
export class ClusterBroadcaster implements Broadcaster {
  private readonly sinks = new Set<EventSink>();
  private unsubscribe: (() => Promise<void>) | undefined;

  constructor(
    private readonly bus: Bus,
    private readonly log: SharedEventLog,
    /** The fence under which this node writes for an agent (kept while it still holds the agent's commands); undefined when it does not own it. */
    private readonly fenceOf: (agentId: string) => Fence | undefined,
    private readonly logger: Logger,
    private readonly counters: ServerCounters = noCounters,
  ) {}

  async start(): Promise<void> {
    this.unsubscribe = await this.bus.subscribe(BusTopic.dashboardEvents, (message) => {
      const event = decodeFeedEvent(message);
      if (event) this.log.feed.push(event);
      else this.logger.warn('an unreadable event came over the bus');
    });
  }

  add(sink: EventSink): void {
    this.sinks.add(sink);
  }

  remove(sink: EventSink): void {
    this.sinks.delete(sink);
  }

  broadcast(message: ServerToDashboardMessage, fence?: Fence): void {
    void this.commit(message, undefined, fence);
  }

  /**
   * Commits an event with the command state it announces, in one transaction, under the owner's
   * fence; resolves false when the fence no longer held (this node lost the agent): nothing was
   * written, nobody was told.
   */
  async commit(message: ServerToDashboardMessage, update: { commandId: string; patch: CommandPatch } | undefined, fence?: Fence): Promise<boolean> {
    const agentId = agentOf(message);
    const offset = await this.log.append(message, { fence: fence ?? (agentId === undefined ? undefined : this.fenceOf(agentId)), update });
    return offset !== undefined;
  }

  /**
   * An event no owner makes (a cancel by whichever node won it in the store, an emergency stop):
   * committed without a fence, whatever this node holds for the agent.
   */
  broadcastUnowned(message: ServerToDashboardMessage): void {
    void this.log.append(message);
  }

  /** An emergency stop and the messages that announce it, in one transaction (SharedEventLog.commitStop). */
  commitStop(patch: CommandPatch, announce: (outcome: StopOutcome) => ServerToDashboardMessage[]): Promise<StopOutcome> {
    return this.log.commitStop(patch, announce);
  }

  /** Stores a new command and commits its queued status in one transaction; rejects when the store failed. */
  async announceNew(message: ServerToDashboardMessage, command: CommandRecord): Promise<void> {
    await this.log.append(message, { create: command });
  }

  broadcastTrace(ref: Omit<EventReference, 'timestamp'>, eventText: string): void {
    void this.log.appendTrace({ ...ref, timestamp: Date.now() }, eventText, this.fenceOf(ref.agentId));
  }

  /** A committed event of this node: the others hear of it over the bus (and fill it from the store if they do not). */
  published(event: FeedEvent): void {
    this.bus.publish(BusTopic.dashboardEvents, encodeFeedEvent(event)).catch(() => undefined);
  }

  /** What the feed delivers, in offset order, to this node's dashboards. */
  deliver(event: FeedEvent): void {
    for (const sink of this.sinks) sink.deliver(event.text, event.output, event.offset);
    if (this.sinks.size > 0) this.counters.sent(SocketRole.dashboard, event.type, this.sinks.size);
  }

  async stop(): Promise<void> {
    await this.unsubscribe?.();
    this.sinks.clear();
  }
}
