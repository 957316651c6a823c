import type { ServerToDashboardMessage } from '@onsembl/protocol';
import { BusTopic, type Bus } from '../ports/bus.js';
import type { Fence } from '../ports/coordination.js';
import type { EventReference } from '../ports/store.js';
import type { EventLog } from './event-log.js';
import { traceEventText } from './trace-text.js';
import { noCounters, SocketRole, typeOfText, type ServerCounters } from './counters.js';

/** What a dashboard outbox needs to know about an output event to drop it under pressure. */
export interface OutputMeta {
  commandId: string;
  agentId: string;
  sequence: number;
}

/** A local receiver of serialised events (one per dashboard socket on this node). */
export interface EventSink {
  /** `offset` is the event's position in the event log (docs/delivery.md). */
  deliver(text: string, output: OutputMeta | undefined, offset: number): void;
}

const SEPARATOR = '\n';
const ignore = (): void => undefined;

/** What sessions and core use to reach every dashboard (one node's LocalBroadcaster, or a cluster's). */
export interface Broadcaster {
  start(): Promise<void>;
  add(sink: EventSink): void;
  remove(sink: EventSink): void;
  /** `fence`: several nodes only, for an event that another node than the agent's owner sends (core/cluster). */
  broadcast(message: ServerToDashboardMessage, fence?: Fence): void;
  broadcastTrace(ref: Omit<EventReference, 'timestamp'>, eventText: string): void;
  stop(): Promise<void>;
}

/**
 * Fans events out to every dashboard of one server. Each event gets its position in the event log,
 * is serialised exactly once, published on the bus, and the same string is handed to every local
 * sink. A small header (offset, and for output the command, agent and sequence) lets every
 * subscriber apply the resume and slow-consumer rules without parsing the JSON again.
 */
export class LocalBroadcaster implements Broadcaster {
  private readonly sinks = new Set<EventSink>();
  private unsubscribe: (() => Promise<void>) | undefined;

  constructor(private readonly bus: Bus, private readonly log: EventLog, private readonly counters: ServerCounters = noCounters) {}

  async start(): Promise<void> {
    this.unsubscribe = await this.bus.subscribe(BusTopic.dashboardEvents, (message) => this.fanOut(message));
  }

  add(sink: EventSink): void {
    this.sinks.add(sink);
  }

  remove(sink: EventSink): void {
    this.sinks.delete(sink);
  }

  broadcast(message: ServerToDashboardMessage): void {
    const position = this.log.next();
    message.position = position;
    const text = JSON.stringify(message);
    let header = String(position.offset);
    if (message.type === 'terminal:output') {
      const p = message.payload;
      header += ` ${p.commandId} ${p.agentId} ${p.sequence}`;
      this.log.recordOutput(position.offset, { commandId: p.commandId, agentId: p.agentId, sequence: p.sequence, timestamp: message.timestamp });
    } else {
      this.log.record(position.offset, text);
    }
    this.publish(header + SEPARATOR + text);
  }

  /** A failed publish is already reported to Health by the watched bus; nobody else waits on it. */
  private publish(message: string): void {
    this.bus.publish(BusTopic.dashboardEvents, message).catch(ignore);
  }

  /**
   * Broadcasts a trace:event around the event's JSON text (serialised once, by the caller that
   * stores it too); the event log records it by reference to the stored trace record.
   */
  broadcastTrace(ref: Omit<EventReference, 'timestamp'>, eventText: string): void {
    const position = this.log.next();
    const reference: EventReference = { ...ref, timestamp: Date.now() };
    this.log.recordTrace(position.offset, reference);
    this.publish(String(position.offset) + SEPARATOR + traceEventText(reference, eventText, position));
  }

  private fanOut(message: string): void {
    const cut = message.indexOf(SEPARATOR);
    const text = message.slice(cut + 1);
    const [offset = '0', commandId, agentId = '', sequence = '0'] = message.slice(0, cut).split(' ');
    const output: OutputMeta | undefined = commandId === undefined ? undefined : { commandId, agentId, sequence: Number(sequence) };
    const at = Number(offset);
    for (const sink of this.sinks) sink.deliver(text, output, at);
    // Once per event however many dashboards get it (a replaying one holds it, and gets it later).
    if (this.sinks.size > 0) this.counters.sent(SocketRole.dashboard, output ? 'terminal:output' : typeOfText(text), this.sinks.size);
  }

  async stop(): Promise<void> {
    await this.unsubscribe?.();
    this.sinks.clear();
  }
}
