import type { HistoryApi, HistoryChunk, OutputChunk } from '@onsembl/client';

export interface OutputSink {
  write(stream: 'stdout' | 'stderr', data: string): void;
  /** Something the user should know about the output itself (a hole in the store). */
  notice(message: string): void;
}

type Chunk = Pick<OutputChunk, 'sequence' | 'stream' | 'data'>;

const PAGE = 1_000;

/**
 * One command's output, written exactly once and in order, from two sources: live `terminal:output`
 * events and the server's store (`GET /api/commands/:id/output?format=json`). Live chunks are written
 * as long as they follow on; a jump (a reconnect that could not resume, a gap marker for a slow
 * reader) reads the missing ones from the store, and duplicates (replayed after a resume, or read
 * from both sources) are dropped by sequence. Every step runs in one queue, so writes never interleave.
 */
export class OutputFollower {
  #written = 0;
  readonly #held = new Map<number, Chunk>();
  #queue: Promise<void> = Promise.resolve();
  #catchUpQueued = false;

  constructor(
    private readonly commandId: string,
    private readonly history: Pick<HistoryApi, 'outputChunks'>,
    private readonly sink: OutputSink,
  ) {}

  /** The last sequence written. */
  get written(): number {
    return this.#written;
  }

  /** A live chunk: written now if it is the next one, held (and the hole read from the store) if not. */
  live(chunk: Chunk): void {
    if (chunk.sequence <= this.#written) return;
    this.#held.set(chunk.sequence, chunk);
    this.#drainHeld();
    if (this.#held.size > 0 && !this.#catchUpQueued) this.catchUp().catch(() => undefined);
  }

  /** Reads from the store everything after what was written (at start, after a gap or a reset). */
  catchUp(): Promise<void> {
    this.#catchUpQueued = true;
    return this.#enqueue(async () => {
      this.#catchUpQueued = false;
      await this.#readStore();
    });
  }

  /**
   * The command is final and its output ends at `lastSequence`: read whatever is still missing. The
   * server stores every chunk before it announces the final status, so one read of the store is enough.
   */
  finish(lastSequence: number): Promise<void> {
    return this.#enqueue(async () => {
      if (this.#written >= lastSequence) return;
      await this.#readStore();
      if (this.#written < lastSequence) {
        this.sink.notice(`output ${this.#written + 1}-${lastSequence} of ${this.commandId} is no longer stored (retention)`);
      }
    });
  }


  /** Runs after every step queued before it; its failure is its caller's, the queue goes on. */
  #enqueue(step: () => Promise<unknown>): Promise<void> {
    const next = this.#queue.then(async () => {
      await step();
    });
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #readStore(): Promise<void> {
    for (;;) {
      const page = await this.history.outputChunks(this.commandId, { after: this.#written, limit: PAGE });
      for (const chunk of page.chunks) this.#accept(chunk);
      this.#drainHeld();
      if (page.chunks.length < PAGE) return;
    }
  }

  #accept(chunk: HistoryChunk | Chunk): void {
    if (chunk.sequence <= this.#written) return;
    if (chunk.sequence > this.#written + 1) {
      // The store has no chunks in between: retention purged them. Say so rather than hide it.
      this.sink.notice(`output ${this.#written + 1}-${chunk.sequence - 1} of ${this.commandId} is no longer stored (retention)`);
    }
    this.#held.delete(chunk.sequence);
    this.sink.write(chunk.stream, chunk.data);
    this.#written = chunk.sequence;
  }

  #drainHeld(): void {
    for (let next = this.#held.get(this.#written + 1); next; next = this.#held.get(this.#written + 1)) this.#accept(next);
    for (const sequence of this.#held.keys()) if (sequence <= this.#written) this.#held.delete(sequence);
  }
}
