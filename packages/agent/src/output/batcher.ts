import { OutputChunker, type ChunkerOptions } from './chunker.js';

export interface BatcherOptions extends ChunkerOptions {
  /** How long a partial chunk may wait for more output (Timings.outputBatchMs). */
  batchMs: number;
}

/**
 * Adds time to OutputChunker: a chunk goes out when it is full, or `batchMs` after the first byte
 * it holds arrived. An escape sequence held back at a timed flush gets one more period to complete,
 * then goes out as it is, so a program that stops mid-sequence cannot hide its output.
 */
export class OutputBatcher {
  private readonly chunker: OutputChunker;
  private timer: NodeJS.Timeout | undefined;
  private heldOnce = false;
  private ended = false;

  constructor(
    private readonly options: BatcherOptions,
    private readonly onChunk: (data: string) => void,
  ) {
    this.chunker = new OutputChunker(options);
  }

  push(input: Buffer | string): void {
    if (this.ended) return;
    this.emit(this.chunker.push(input));
    this.heldOnce = false;
    if (this.chunker.hasPending) this.arm();
  }

  /** Sends what is pending now (e.g. before an interrupt mutes the command). */
  flushNow(): void {
    this.clear();
    this.emit(this.chunker.flush(true));
  }

  /** The stream ended: sends everything left; later pushes are ignored. */
  end(): void {
    this.clear();
    if (this.ended) return;
    this.ended = true;
    this.emit(this.chunker.end());
  }

  private arm(): void {
    this.timer ??= setTimeout(() => this.onTimer(), this.options.batchMs);
  }

  private onTimer(): void {
    this.timer = undefined;
    this.emit(this.chunker.flush(this.heldOnce));
    if (this.chunker.hasPending) {
      this.heldOnce = true;
      this.arm();
    }
  }

  private clear(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private emit(chunks: string[]): void {
    for (const chunk of chunks) this.onChunk(chunk);
  }
}
