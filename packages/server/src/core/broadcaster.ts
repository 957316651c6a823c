import type { ServerToDashboardMessage } from '@onsembl/protocol';
import { BusTopic, type Bus } from '../ports/bus.js';

/** What a dashboard outbox needs to know about an output event to drop it under pressure. */
export interface OutputMeta {
  commandId: string;
  agentId: string;
  sequence: number;
}

/** A local receiver of serialised events (one per dashboard socket on this node). */
export interface EventSink {
  deliver(text: string, output: OutputMeta | undefined): void;
}

const SEPARATOR = '\n';

/**
 * Fans events out to every dashboard. Each event is serialised exactly once, published on the bus,
 * and the same string is handed to every local sink. Output events carry a small header so every
 * node can apply the slow-consumer policy without parsing the JSON again.
 */
export class Broadcaster {
  private readonly sinks = new Set<EventSink>();
  private unsubscribe: (() => Promise<void>) | undefined;

  constructor(private readonly bus: Bus) {}

  async start(): Promise<void> {
    this.unsubscribe = await this.bus.subscribe(BusTopic.dashboardEvents, (message) => this.fanOut(message));
  }

  add(sink: EventSink): void {
    this.sinks.add(sink);
  }

  remove(sink: EventSink): void {
    this.sinks.delete(sink);
  }

  get size(): number {
    return this.sinks.size;
  }

  broadcast(message: ServerToDashboardMessage): void {
    const text = JSON.stringify(message);
    let header = '';
    if (message.type === 'terminal:output') {
      const p = message.payload;
      header = `${p.commandId} ${p.agentId} ${p.sequence}`;
    }
    void this.bus.publish(BusTopic.dashboardEvents, header + SEPARATOR + text);
  }

  private fanOut(message: string): void {
    const cut = message.indexOf(SEPARATOR);
    const text = message.slice(cut + 1);
    let output: OutputMeta | undefined;
    if (cut > 0) {
      const [commandId = '', agentId = '', sequence = '0'] = message.slice(0, cut).split(' ');
      output = { commandId, agentId, sequence: Number(sequence) };
    }
    for (const sink of this.sinks) sink.deliver(text, output);
  }

  async stop(): Promise<void> {
    await this.unsubscribe?.();
    this.sinks.clear();
  }
}
