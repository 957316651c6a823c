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
  private readonly events: Array<{ event: TraceEvent; bytes: number }> = [];
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
    const bytes = JSON.stringify(event).length;
    this.events.push({ event, bytes });
    this.bytes += bytes;
    this.last++;
    return this.last;
  }

  get(sequence: number): TraceEvent {
    const held = this.events[sequence - this.acked - 1];
    if (sequence <= this.acked || sequence > this.last || !held) {
      throw new RangeError(`trace sequence ${sequence} is not held (acked ${this.acked}, last ${this.last})`);
    }
    return held.event;
  }

  /** Cumulative: everything up to `sequence` is stored by the server. */
  acknowledge(sequence: number): void {
    const through = Math.min(sequence, this.last);
    if (through <= this.acked) return;
    const removed = this.events.splice(0, through - this.acked);
    for (const { bytes } of removed) this.bytes -= bytes;
    this.acked = through;
  }

  dispose(): void {
    this.events.length = 0;
    this.bytes = 0;
  }
}
