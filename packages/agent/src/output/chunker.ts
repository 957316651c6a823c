import { StringDecoder } from 'node:string_decoder';
import { escapeSafeCut } from './escape-boundary.js';
import { prefixLengthWithinJsonBytes } from './json-size.js';

export interface ChunkerOptions {
  /**
   * Largest chunk, in bytes of its JSON string encoding: what it takes in a terminal:output message
   * on the wire, escapes included. Never less than its UTF-8 size, so also a bound on that.
   */
  maxBytes: number;
  /** How far back (in characters) a cut looks for the start of an escape sequence to keep whole. */
  escapeLookback: number;
}

/**
 * Turns a stream of PTY reads into text chunks of at most `maxBytes` as JSON, cut only between
 * whole characters and outside escape sequences. Pure and synchronous: when to flush a partial
 * chunk is OutputBatcher's decision.
 *
 * A multi-byte character split across reads is held by the decoder until it is complete; an
 * escape sequence still open at a cut stays in the buffer and starts the next chunk.
 */
export class OutputChunker {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';
  private pendingBytes = 0;

  constructor(private readonly options: ChunkerOptions) {
    // The largest character as JSON: a control character escaped as \u0000.
    if (options.maxBytes < 6) throw new RangeError('maxBytes must hold any one character (6 bytes as JSON)');
  }

  /** Whether text is waiting (a partial chunk or a held-back escape sequence). */
  get hasPending(): boolean {
    return this.pending.length > 0;
  }

  /** Adds one read; returns the chunks that became full. */
  push(input: Buffer | string): string[] {
    const text = typeof input === 'string' ? input : this.decoder.write(input);
    if (text.length === 0) return [];
    this.pending += text;
    this.pendingBytes += Buffer.byteLength(text, 'utf8');
    const chunks: string[] = [];
    // UTF-8 size is a lower bound of the JSON size: at maxBytes pending, a full chunk is there.
    while (this.pendingBytes >= this.options.maxBytes) chunks.push(this.take(this.fullChunkCut()));
    return chunks;
  }

  /** Where the longest chunk that fits ends, moved back to keep an escape sequence whole. */
  private fullChunkCut(): number {
    const sizeCut = prefixLengthWithinJsonBytes(this.pending, this.options.maxBytes);
    const safeCut = escapeSafeCut(this.pending, sizeCut, this.options.escapeLookback);
    // safeCut is 0 only if one sequence fills the whole chunk (longer than the lookback would allow
    // when it is real): cut it by size rather than stall.
    return safeCut > 0 ? safeCut : sizeCut;
  }

  /**
   * Emits what is pending (the batch period elapsed). An escape sequence still open at the end is
   * kept for the next read unless `force` is set (it has waited long enough).
   */
  flush(force = false): string[] {
    const chunks: string[] = [];
    // Less than maxBytes of UTF-8 can still be more as JSON (escapes): full chunks first.
    while (this.pending.length > 0 && prefixLengthWithinJsonBytes(this.pending, this.options.maxBytes) < this.pending.length) {
      chunks.push(this.take(this.fullChunkCut()));
    }
    if (this.pending.length === 0) return chunks;
    const cut = force ? this.pending.length : escapeSafeCut(this.pending, this.pending.length, this.options.escapeLookback);
    if (cut > 0) chunks.push(this.take(cut));
    return chunks;
  }

  /** The stream ended: emits everything, including a trailing incomplete character (as U+FFFD). */
  end(): string[] {
    return [...this.push(this.decoder.end()), ...this.flush(true)];
  }

  private take(length: number): string {
    const chunk = this.pending.slice(0, length);
    this.pending = this.pending.slice(length);
    this.pendingBytes -= Buffer.byteLength(chunk, 'utf8');
    return chunk;
  }
}
