import { describe, expect, it } from 'vitest';
import { LineSplitter } from './line-splitter.js';

const texts = (lines: Array<{ text: string }>) => lines.map((l) => l.text);

describe('LineSplitter', () => {
  it('returns every complete line of a read, and holds the unterminated rest', () => {
    const s = new LineSplitter();
    expect(texts(s.push(Buffer.from('{"a":1}\n{"b":2}\n{"c"')))).toEqual(['{"a":1}', '{"b":2}']);
    expect(s.pendingBytes).toBe(4);
    expect(texts(s.push(Buffer.from(':3}\n')))).toEqual(['{"c":3}']);
    expect(s.end()).toBeUndefined();
  });

  it('joins a line split across many reads, and a UTF-8 character split between two', () => {
    const s = new LineSplitter();
    const line = Buffer.from('{"text":"héllo ✓ wörld"}\n');
    const lines = [];
    for (let i = 0; i < line.length; i++) lines.push(...s.push(line.subarray(i, i + 1)));
    expect(texts(lines)).toEqual(['{"text":"héllo ✓ wörld"}']);
  });

  it('drops CR of CRLF and keeps empty lines', () => {
    const s = new LineSplitter();
    expect(texts(s.push(Buffer.from('a\r\n\nb\n')))).toEqual(['a', '', 'b']);
  });

  it('gives the rest at the end of the stream, as a crash mid-line leaves it', () => {
    const s = new LineSplitter();
    s.push(Buffer.from('{"type":"result","is_err'));
    expect(s.end()).toEqual({ text: '{"type":"result","is_err', bytes: 24 });
    expect(s.end()).toBeUndefined();
  });

  it('does not keep the reader\'s buffer (it may be reused)', () => {
    const s = new LineSplitter();
    const buffer = Buffer.from('abc');
    s.push(buffer);
    buffer.write('xyz');
    expect(texts(s.push(Buffer.from('\n')))).toEqual(['abc']);
  });

  it('drops a line over the limit without holding it, and counts it', () => {
    const s = new LineSplitter(1000);
    const lines = [];
    for (let i = 0; i < 10; i++) lines.push(...s.push(Buffer.alloc(300, 0x61)));
    expect(s.pendingBytes).toBe(3000);
    lines.push(...s.push(Buffer.from('tail\nnext\n')));
    expect(texts(lines)).toEqual(['next']);
    expect(s.droppedLines).toBe(1);
  });

  it('splits a 5 MB line read in 64 KB pieces into one line of the right size', () => {
    const s = new LineSplitter();
    const big = Buffer.from(`{"content":"${'x'.repeat(5 * 1024 * 1024)}"}\n`);
    const lines = [];
    for (let i = 0; i < big.length; i += 65536) lines.push(...s.push(big.subarray(i, i + 65536)));
    expect(lines).toHaveLength(1);
    expect(lines[0]?.bytes).toBe(big.length - 1);
  });
});
