import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OutputChunker } from './chunker.js';
import { jsonStringBytes as wire } from './json-size.js';

const KB10 = 10 * 1024;
const bytes = (text: string) => Buffer.byteLength(text, 'utf8');
/** How far below the limit a full chunk may end: it uses 99 % of the room (json-size.ts). */
const ROOM = Math.ceil(KB10 / 100);

/** Pushes `input` in pieces of the given byte sizes (cycled), returning every chunk after end(). */
function runChunker(chunker: OutputChunker, input: Buffer, pieceSizes: number[], flushAfter: boolean[] = []): string[] {
  const chunks: string[] = [];
  let offset = 0;
  let i = 0;
  while (offset < input.length) {
    const size = pieceSizes.length > 0 ? (pieceSizes[i % pieceSizes.length] as number) : input.length;
    chunks.push(...chunker.push(input.subarray(offset, offset + size)));
    if (flushAfter[i % Math.max(1, flushAfter.length)]) chunks.push(...chunker.flush());
    offset += size;
    i++;
  }
  chunks.push(...chunker.end());
  return chunks;
}

describe('OutputChunker', () => {
  it('joins a multi-byte character split across reads, byte by byte', () => {
    const text = 'héllo € 𝄞 世界 🎉 done';
    const chunks = runChunker(new OutputChunker({ maxBytes: KB10, escapeLookback: 2048 }), Buffer.from(text), [1], [true]);
    expect(chunks.join('')).toBe(text);
    expect(chunks.join('')).not.toContain('\ufffd');
    // Each flush after a single byte emits only whole characters.
    for (const chunk of chunks) expect(Buffer.from(chunk).toString()).toBe(chunk);
  });

  it('cuts a flood into chunks of at most 10 KB of UTF-8, each ending on a whole character', () => {
    const unit = 'ascii, ünïcödé, 世界, 🎉🎉; ';
    const text = unit.repeat(Math.ceil((300 * 1024) / bytes(unit)));
    const chunks = runChunker(new OutputChunker({ maxBytes: KB10, escapeLookback: 2048 }), Buffer.from(text), [65536]);
    expect(chunks.join('')).toBe(text);
    for (const chunk of chunks) {
      expect(bytes(chunk)).toBeLessThanOrEqual(KB10);
      expect(chunk).not.toContain('\ufffd');
    }
    // Full chunks use the room: at most one 4-byte character short of the limit.
    for (const chunk of chunks.slice(0, -1)) expect(bytes(chunk)).toBeGreaterThan(KB10 - 4);
  });

  it('never splits a surrogate pair even when a 4-byte character straddles the limit', () => {
    const text = 'a'.repeat(KB10 - 2) + '🎉' + 'b';
    const chunks = runChunker(new OutputChunker({ maxBytes: KB10, escapeLookback: 2048 }), Buffer.from(text), []);
    expect(chunks).toEqual(['a'.repeat(KB10 - 2), '🎉b']);
  });

  it.each([
    ['CSI colour', '\x1b[38;5;196m'],
    ['CSI with intermediates', '\x1b[2 q'],
    ['OSC title ended by BEL', '\x1b]0;build: 世界\x07'],
    ['OSC hyperlink ended by ST', '\x1b]8;;https://example.com/a?b=c\x1b\\'],
    ['DCS', '\x1bPq#0;2;0;0;0#1!5~\x1b\\'],
    ['charset designation (nF)', '\x1b(B'],
    ['8-bit CSI', '\u009b1;31m'],
  ])('keeps a %s whole when the 10 KB cut falls inside it', (_name, escape) => {
    for (let inside = 1; inside < escape.length; inside++) {
      const before = 'x'.repeat(KB10 - wire(escape.slice(0, inside)));
      const text = `${before}${escape}tail`;
      const chunks = runChunker(new OutputChunker({ maxBytes: KB10, escapeLookback: 2048 }), Buffer.from(text), [4096]);
      expect(chunks.join('')).toBe(text);
      // Cut before the escape, close to the limit, and the escape whole in the next chunk.
      const first = chunks[0] ?? '';
      expect(before.startsWith(first)).toBe(true);
      expect(wire(first)).toBeGreaterThanOrEqual(KB10 - ROOM - wire(escape));
      expect(chunks[1]?.includes(escape)).toBe(true);
    }
  });

  it('cuts by size on the wire: escapes count as the JSON they become', () => {
    // A coloured test-runner line: ESC becomes the six bytes \u001b, CR LF four, so ~25 % more than UTF-8.
    const line = '\x1b[32m PASS \x1b[0m src/output/chunker.test.ts (12 ms) "quoted" C:\\path\r\n';
    const text = line.repeat(2_000);
    const chunks = runChunker(new OutputChunker({ maxBytes: KB10, escapeLookback: 2048 }), Buffer.from(text), [4096, 100, 65536]);
    expect(chunks.join('')).toBe(text);
    for (const chunk of chunks) expect(wire(chunk)).toBeLessThanOrEqual(KB10);
    // Full chunks use the room.
    for (const chunk of chunks.slice(0, -1)) expect(wire(chunk)).toBeGreaterThan(KB10 - ROOM);
    // Cutting by UTF-8 would have made messages ~20 % over the limit.
    expect(wire(line) / bytes(line)).toBeGreaterThan(1.2);
  });

  it('makes progress with the smallest room: one escaped control character or one 4-byte character per chunk', () => {
    const text = '\x01🎉\x02a🎉';
    const chunks = runChunker(new OutputChunker({ maxBytes: 6, escapeLookback: 0 }), Buffer.from(text), [1]);
    expect(chunks.join('')).toBe(text);
    for (const chunk of chunks) expect(wire(chunk)).toBeLessThanOrEqual(6);
    expect(() => new OutputChunker({ maxBytes: 5, escapeLookback: 0 })).toThrow(RangeError);
  });

  it('splits a timed flush that is under the limit in UTF-8 but over it as JSON', () => {
    const chunker = new OutputChunker({ maxBytes: KB10, escapeLookback: 2048 });
    const text = '\x01\x02\x03'.repeat(1_000); // 3,000 bytes of UTF-8, 18,000 as JSON (\u0001...)
    expect(chunker.push(text)).toEqual([]);
    const chunks = chunker.flush();
    expect(chunks.join('')).toBe(text);
    expect(chunks.length).toBe(2);
    for (const chunk of chunks) expect(wire(chunk)).toBeLessThanOrEqual(KB10);
  });

  it('cuts a hostile never-ending escape sequence instead of holding output forever', () => {
    const text = '\x1b]0;' + 'y\n'.repeat(100_000);
    const chunker = new OutputChunker({ maxBytes: KB10, escapeLookback: 2048 });
    const chunks = runChunker(chunker, Buffer.from(text), [65536]);
    expect(chunks.join('')).toBe(text);
    expect(chunks.length).toBeLessThanOrEqual(Math.ceil(wire(text) / (KB10 - ROOM)));
    for (const chunk of chunks) expect(wire(chunk)).toBeLessThanOrEqual(KB10);
  });

  it('cuts before an escape that starts within the lookback, but not before one further back', () => {
    const before = 'a'.repeat(KB10 - 3000);
    const escape = '\x1b]0;' + 't'.repeat(4000) + '\x07'; // starts 3000 characters before the 10 KB cut
    const text = before + escape + 'end';
    const short = runChunker(new OutputChunker({ maxBytes: KB10, escapeLookback: 2048 }), Buffer.from(text), []);
    // Beyond a 2048 lookback: cut like text, inside the escape, close to the limit.
    expect(short[0]!.length).toBeGreaterThan(before.length);
    expect(wire(short[0]!)).toBeGreaterThan(KB10 - ROOM);
    const long = runChunker(new OutputChunker({ maxBytes: KB10, escapeLookback: 4096 }), Buffer.from(text), []);
    expect(long[0]?.length).toBe(before.length); // within a 4096 lookback: kept whole
    expect(long.join('')).toBe(text);
  });

  it('holds back an incomplete escape at a timed flush and releases it when complete', () => {
    const chunker = new OutputChunker({ maxBytes: KB10, escapeLookback: 2048 });
    expect(chunker.push('progress 50%\x1b[')).toEqual([]);
    expect(chunker.flush()).toEqual(['progress 50%']);
    expect(chunker.flush()).toEqual([]);
    expect(chunker.hasPending).toBe(true);
    chunker.push('2K\r60%');
    expect(chunker.flush()).toEqual(['\x1b[2K\r60%']);
    chunker.push('\x1b]0;title');
    expect(chunker.flush(true)).toEqual(['\x1b]0;title']); // forced: waited long enough
  });

  it('emits a character left incomplete by the end of the stream as U+FFFD', () => {
    const chunker = new OutputChunker({ maxBytes: KB10, escapeLookback: 2048 });
    chunker.push(Buffer.from([0x61, 0xe2, 0x82]));
    expect(chunker.flush()).toEqual(['a']);
    expect(chunker.end()).toEqual(['\ufffd']);
  });

  describe('property: any split of any output', () => {
    const textToken = fc
      .array(
        fc.oneof(
          fc.integer({ min: 0x20, max: 0x7e }),
          fc.constantFrom(0x0a, 0x0d, 0x09, 0x07),
          fc.integer({ min: 0xa0, max: 0xd7ff }),
          fc.integer({ min: 0xe000, max: 0xffff }),
          fc.integer({ min: 0x10000, max: 0x10ffff }),
        ),
        { maxLength: 40 },
      )
      .map((codes) => ({ text: String.fromCodePoint(...codes), escape: false }));
    const params = fc.stringMatching(/^[0-9;]{0,8}$/);
    const title = fc.stringMatching(/^[ -~]{0,10}$/);
    const escapeToken = fc
      .oneof(
        fc.tuple(params, fc.constantFrom('m', 'K', 'H', 'J', 'A')).map(([p, f]) => `\x1b[${p}${f}`),
        title.map((t) => `\x1b]0;${t}\x07`),
        title.map((t) => `\x1b]8;;${t}\x1b\\`),
        title.map((t) => `\x1bP${t}\x1b\\`),
        fc.constantFrom('\x1b7', '\x1b8', '\x1b=', '\x1b(B', '\x1b)0'),
        params.map((p) => `\u009b${p}m`),
      )
      .map((text) => ({ text, escape: true }));
    const input = fc.array(fc.oneof(textToken, escapeToken), { maxLength: 60 });

    it('loses nothing, respects the size limit on the wire, and never cuts inside an escape sequence', () => {
      fc.assert(
        fc.property(
          input,
          fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 10 }),
          fc.array(fc.boolean(), { minLength: 1, maxLength: 10 }),
          fc.constantFrom(64, 100, 257),
          (tokens, pieceSizes, flushAfter, maxBytes) => {
            const text = tokens.map((t) => t.text).join('');
            const spans: Array<[number, number]> = [];
            let at = 0;
            for (const token of tokens) {
              if (token.escape) spans.push([at, at + token.text.length]);
              at += token.text.length;
            }
            const chunker = new OutputChunker({ maxBytes, escapeLookback: 64 });
            const chunks = runChunker(chunker, Buffer.from(text, 'utf8'), pieceSizes, flushAfter);
            expect(chunks.join('')).toBe(text);
            let boundary = 0;
            for (const chunk of chunks) {
              expect(chunk.length).toBeGreaterThan(0);
              expect(wire(chunk)).toBeLessThanOrEqual(maxBytes);
              boundary += chunk.length;
              for (const [start, end] of spans) {
                if (start < boundary && boundary < end) throw new Error(`cut at ${boundary} inside escape ${JSON.stringify(text.slice(start, end))}`);
              }
            }
          },
        ),
        { numRuns: 500 },
      );
    });
  });
});
