import { Limits, type TraceEvent } from '@onsembl/protocol';

/** Bytes (as JSON) of unacknowledged trace events per command past which the program is held. */
export const TRACE_UNACKED_BYTES = 8 * 1024 * 1024;

/**
 * Every trace event of one command that the server has not acknowledged yet, by sequence (1-based,
 * contiguous, its own counter beside the output's). Held in memory: events are small and capped,
 * and once `full` (Limits.traceUnackedMax events or TRACE_UNACKED_BYTES) the command's program is
 * held until acknowledgements catch up, so nothing is ever dropped.
 */
export class UnackedTrace {
  /** Held events with their JSON text (made once: it is what goes on the wire); `head` is the first unacknowledged. */
  private events: Array<{ event: TraceEvent; json: string }> = [];
  private head = 0;
  private acked = 0;
  private last = 0;
  private bytes = 0;

  constructor(
    private readonly maxEvents: number = Limits.traceUnackedMax,
    private readonly maxBytes: number = TRACE_UNACKED_BYTES,
  ) {}

  get ackedThrough(): number {
    return this.acked;
  }

  get lastSequence(): number {
    return this.last;
  }

  get unackedCount(): number {
    return this.last - this.acked;
  }

  get unackedBytes(): number {
    return this.bytes;
  }

  /** Over a bound: the program should be held until the server acknowledges more. */
  get full(): boolean {
    return this.unackedCount >= this.maxEvents || this.bytes >= this.maxBytes;
  }

  /** Adds the next event; its sequence is `lastSequence + 1`. Never refuses (the bound holds the producer). */
  append(event: TraceEvent): number {
    const json = JSON.stringify(event);
    this.events.push({ event, json });
    this.bytes += json.length;
    this.last++;
    return this.last;
  }

  get(sequence: number): TraceEvent {
    return this.held(sequence).event;
  }

  /** The event as JSON text. */
  json(sequence: number): string {
    return this.held(sequence).json;
  }

  /** Cumulative: everything up to `sequence` is stored by the server. */
  acknowledge(sequence: number): void {
    const through = Math.min(sequence, this.last);
    if (through <= this.acked) return;
    for (let i = this.head; i < this.head + (through - this.acked); i++) {
      this.bytes -= (this.events[i] as { json: string }).json.length;
    }
    this.head += through - this.acked;
    this.acked = through;
    // Drop the acknowledged front now and then, not on every ack (a splice per ack is quadratic).
    if (this.head > 1024 && this.head * 2 > this.events.length) {
      this.events = this.events.slice(this.head);
      this.head = 0;
    }
  }

  dispose(): void {
    this.events = [];
    this.head = 0;
    this.bytes = 0;
  }

  private held(sequence: number): { event: TraceEvent; json: string } {
    const held = this.events[this.head + sequence - this.acked - 1];
    if (sequence <= this.acked || sequence > this.last || !held) {
      throw new RangeError(`trace sequence ${sequence} is not held (acked ${this.acked}, last ${this.last})`);
    }
    return held;
  }
}
