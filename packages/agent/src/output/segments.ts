import { closeSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import type { MemoryBudget } from './memory-budget.js';

/**
 * A run of consecutive output chunks of one command, `firstSequence` to `lastSequence`, kept either
 * in memory or in an append-only spool file. UnackedOutput holds a list of them in sequence order.
 */
export interface Segment {
  readonly firstSequence: number;
  readonly lastSequence: number;
  readonly kind: 'memory' | 'disk';
  /** Bytes held (memory) or written (file). */
  readonly bytes: number;
  /** Bytes of the chunks not acknowledged yet. */
  readonly unackedBytes: number;
  get(sequence: number): string;
  /** Everything up to `sequence` is acknowledged: free what can be freed. */
  acknowledge(sequence: number): void;
  /** Frees everything (memory budget, file). */
  dispose(): void;
}

export class MemorySegment implements Segment {
  readonly kind = 'memory' as const;
  private chunks: string[] = [];
  private sizes: number[] = [];
  /** Acknowledged chunks are blanked, not removed: the segment itself goes once fully acknowledged. */
  private firstUnacked: number;
  private heldBytes = 0;

  constructor(readonly firstSequence: number, private readonly budget: MemoryBudget) {
    this.firstUnacked = firstSequence;
  }

  get lastSequence(): number {
    return this.firstSequence + this.chunks.length - 1;
  }

  get bytes(): number {
    return this.heldBytes;
  }

  get unackedBytes(): number {
    return this.heldBytes;
  }

  /** Adds the next chunk if the budget allows; false means it must go elsewhere. */
  tryAppend(data: string, bytes: number): boolean {
    if (!this.budget.tryReserve(bytes)) return false;
    this.chunks.push(data);
    this.sizes.push(bytes);
    this.heldBytes += bytes;
    return true;
  }

  get(sequence: number): string {
    if (sequence < this.firstUnacked || sequence > this.lastSequence) {
      throw new RangeError(`sequence ${sequence} is not held in memory`);
    }
    return this.chunks[sequence - this.firstSequence] as string;
  }

  acknowledge(sequence: number): void {
    const through = Math.min(sequence, this.lastSequence);
    while (this.firstUnacked <= through) {
      const index = this.firstUnacked - this.firstSequence;
      const size = this.sizes[index] ?? 0;
      this.chunks[index] = '';
      this.heldBytes -= size;
      this.budget.release(size);
      this.firstUnacked++;
    }
  }

  dispose(): void {
    this.budget.release(this.heldBytes);
    this.heldBytes = 0;
    this.chunks = [];
    this.sizes = [];
  }
}

/** Chunks in a file, back to back as UTF-8; their offsets stay in memory (8 bytes per chunk). */
export class DiskSegment implements Segment {
  readonly kind = 'disk' as const;
  private readonly fd: number;
  private readonly offsets: number[] = [];
  private size = 0;
  private closed = false;
  private firstUnacked: number;

  constructor(readonly firstSequence: number, readonly path: string) {
    // 'wx': a fresh file only this segment owns; a leftover with the same name is a bug worth seeing.
    this.fd = openSync(path, 'wx+', 0o600);
    this.firstUnacked = firstSequence;
  }

  get lastSequence(): number {
    return this.firstSequence + this.offsets.length - 1;
  }

  get bytes(): number {
    return this.size;
  }

  get unackedBytes(): number {
    return this.size - (this.offsets[this.firstUnacked - this.firstSequence] ?? this.size);
  }

  append(data: string): void {
    const buffer = Buffer.from(data, 'utf8');
    // Synchronous so the file order is the sequence order with no write queue to reason about;
    // a chunk is at most 10 KB. Recorded only once written: a failed write (disk full) leaves the
    // segment as it was, and the next chunk overwrites the partial bytes.
    let written = 0;
    while (written < buffer.length) written += writeSync(this.fd, buffer, written, buffer.length - written, this.size + written);
    this.offsets.push(this.size);
    this.size += buffer.length;
  }

  get(sequence: number): string {
    const index = sequence - this.firstSequence;
    const start = this.offsets[index];
    if (start === undefined || this.closed) throw new RangeError(`sequence ${sequence} is not in ${this.path}`);
    const end = this.offsets[index + 1] ?? this.size;
    const buffer = Buffer.alloc(end - start);
    let read = 0;
    while (read < buffer.length) {
      const n = readSync(this.fd, buffer, read, buffer.length - read, start + read);
      if (n === 0) throw new Error(`spool file ${this.path} is shorter than expected`);
      read += n;
    }
    return buffer.toString('utf8');
  }

  acknowledge(sequence: number): void {
    // Only bookkeeping: the file is removed as a whole once every chunk in it is acknowledged
    // (UnackedOutput drops the segment then); rewriting it for a partial acknowledgement would
    // cost more than it saves.
    this.firstUnacked = Math.max(this.firstUnacked, Math.min(sequence, this.lastSequence) + 1);
  }

  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
    try {
      unlinkSync(this.path);
    } catch {
      // Already gone (someone cleaned the spool directory): nothing left to free.
    }
  }
}
