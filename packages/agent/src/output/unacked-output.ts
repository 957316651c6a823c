import type { MemoryBudget } from './memory-budget.js';
import { DiskSegment, MemorySegment, type Segment } from './segments.js';
import type { SpoolDirectory } from './spool-directory.js';

export interface UnackedOutputOptions {
  commandId: string;
  budget: MemoryBudget;
  /** Where this agent's spool files go. */
  spool: SpoolDirectory;
  /** A spool file takes chunks up to this size before the next chunk may go back to memory. */
  spoolSegmentBytes: number;
}

/**
 * Every output chunk of one command that the server has not acknowledged yet, by sequence.
 * Chunks live in memory while the agent-wide MemoryBudget allows, otherwise in spool files
 * (append-only, one per segment, deleted once every chunk in them is acknowledged).
 */
export class UnackedOutput {
  private readonly segments: Segment[] = [];
  private acked = 0;
  private last = 0;
  private unacked = 0;

  constructor(private readonly options: UnackedOutputOptions) {}

  /** Highest sequence the server acknowledged (0: none). */
  get ackedThrough(): number {
    return this.acked;
  }

  /** UTF-8 bytes produced but not acknowledged (what flow control watches). */
  get unackedBytes(): number {
    return this.unacked;
  }

  /** Highest sequence produced (0: no output yet). */
  get lastSequence(): number {
    return this.last;
  }

  /** Adds the next chunk; its sequence is `lastSequence + 1`. Throws (and numbers nothing) if it cannot be stored. */
  append(data: string): number {
    const sequence = this.last + 1;
    const bytes = Buffer.byteLength(data, 'utf8');
    const tail = this.segments.at(-1);
    if (tail instanceof DiskSegment && tail.bytes < this.options.spoolSegmentBytes) {
      tail.append(data);
    } else if (!(tail instanceof MemorySegment && tail.tryAppend(data, bytes))) {
      const memory = new MemorySegment(sequence, this.options.budget);
      if (memory.tryAppend(data, bytes)) {
        this.segments.push(memory);
      } else {
        const disk = new DiskSegment(sequence, this.options.spool.nextFile(this.options.commandId));
        try {
          disk.append(data);
        } catch (error) {
          disk.dispose();
          throw error;
        }
        this.segments.push(disk);
      }
    }
    this.last = sequence;
    this.unacked += bytes;
    return sequence;
  }

  /** The chunk with this sequence; it must be unacknowledged and already appended. */
  get(sequence: number): string {
    if (sequence <= this.acked || sequence > this.last) {
      throw new RangeError(`output sequence ${sequence} is not held (acked ${this.acked}, last ${this.last})`);
    }
    for (const segment of this.segments) {
      if (sequence <= segment.lastSequence) return segment.get(sequence);
    }
    throw new RangeError(`output sequence ${sequence} is missing`);
  }

  /** Cumulative acknowledgement: everything up to `sequence` is stored by the server. */
  acknowledge(sequence: number): void {
    const through = Math.min(sequence, this.last);
    if (through <= this.acked) return;
    this.acked = through;
    while (this.segments.length > 0) {
      const first = this.segments[0] as Segment;
      const before = first.unackedBytes;
      if (first.lastSequence > through) {
        first.acknowledge(through);
        this.unacked -= before - first.unackedBytes;
        break;
      }
      this.unacked -= before;
      first.dispose();
      this.segments.shift();
    }
  }

  /** Bytes held, by place (for logs and tests). */
  get heldBytes(): { memory: number; disk: number } {
    let memory = 0;
    let disk = 0;
    for (const segment of this.segments) {
      if (segment.kind === 'memory') memory += segment.bytes;
      else disk += segment.bytes;
    }
    return { memory, disk };
  }

  dispose(): void {
    for (const segment of this.segments) segment.dispose();
    this.segments.length = 0;
    this.unacked = 0;
  }
}
