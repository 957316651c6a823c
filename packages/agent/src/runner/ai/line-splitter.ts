/** Lines longer than this are dropped (counted, not kept): no CLI event comes near it. */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;

export interface SplitLine {
  text: string;
  /** Bytes of the line as read, without its newline. */
  bytes: number;
}

/**
 * Cuts a byte stream (a CLI's stdout, read in pieces of any size) into lines. Pieces are kept as
 * they came and joined once per line, so a line of several megabytes costs one copy, not one per
 * read; bytes are decoded per line, so a UTF-8 character split across reads stays whole.
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private held = 0;
  private oversized = 0;
  /** Lines dropped for being over MAX_LINE_BYTES. */
  droppedLines = 0;

  constructor(private readonly maxLineBytes = MAX_LINE_BYTES) {}

  /** Bytes of the line begun but not ended yet. */
  get pendingBytes(): number {
    return this.held + this.oversized;
  }

  /** Feeds one read; returns the lines it completed. */
  push(data: Buffer): SplitLine[] {
    const lines: SplitLine[] = [];
    let start = 0;
    for (;;) {
      const newline = data.indexOf(0x0a, start);
      if (newline === -1) break;
      const line = this.take(data.subarray(start, newline));
      if (line) lines.push(line);
      start = newline + 1;
    }
    if (start < data.length) this.keep(data.subarray(start));
    return lines;
  }

  /** The stream ended: the unterminated rest, if any (a CLI that died mid-line leaves one). */
  end(): SplitLine | undefined {
    if (this.held === 0 && this.oversized === 0) return undefined;
    return this.take(Buffer.alloc(0));
  }

  private keep(piece: Buffer): void {
    if (this.oversized > 0 || this.held + piece.length > this.maxLineBytes) {
      this.oversized += this.held + piece.length;
      this.parts = [];
      this.held = 0;
      return;
    }
    // A copy: the reader may reuse its buffer.
    this.parts.push(Buffer.from(piece));
    this.held += piece.length;
  }

  private take(last: Buffer): SplitLine | undefined {
    if (this.oversized > 0 || this.held + last.length > this.maxLineBytes) {
      this.oversized = 0;
      this.parts = [];
      this.held = 0;
      this.droppedLines++;
      return undefined;
    }
    let bytes: Buffer;
    if (this.parts.length === 0) bytes = last;
    else {
      this.parts.push(last);
      bytes = Buffer.concat(this.parts, this.held + last.length);
    }
    this.parts = [];
    this.held = 0;
    let end = bytes.length;
    if (end > 0 && bytes[end - 1] === 0x0d) end--; // CRLF
    return { text: bytes.toString('utf8', 0, end), bytes: end };
  }
}
