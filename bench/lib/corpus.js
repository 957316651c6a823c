// @ts-check
// The fan-out scenario's output: a file of base64 lines (76 columns, like `base64` prints), made
// once per run from random bytes and then `cat` by the agent's command.
//
// Why this data: it is printable ASCII in log-sized lines, so it goes through the PTY (\n -> \r\n),
// the agent's chunker and JSON escaping like compiler or test output does; it is nearly
// incompressible (base64 of random bytes: at best 4:3), the honest case for permessage-deflate
// (real logs compress several times better, so compression cost per delivered byte would look
// better than it is); and `cat` of a page-cached file costs almost nothing, so what is measured is
// the agent and server path, not a generator. `yes` would not do: 2-byte lines make escaping
// dominate and deflate shrinks them to almost nothing.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** @typedef {{ file: string, bytes: number }} Corpus */

/**
 * @param {number} [bytes]
 * @returns {Corpus}
 */
export function makeCorpus(bytes = 8 * 1024 * 1024) {
  const dir = mkdtempSync(join(tmpdir(), 'onsembl-bench-corpus-'));
  const file = join(dir, 'output.txt');
  const text = randomBytes(Math.floor((bytes * 3) / 4)).toString('base64');
  const lines = [];
  for (let i = 0; i < text.length; i += 76) lines.push(text.slice(i, i + 76));
  writeFileSync(file, `${lines.join('\n')}\n`);
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return { file, bytes: text.length + lines.length };
}

/**
 * A bounded command that prints the corpus `times` times.
 * @param {string} file
 * @param {number} times
 */
export const catCommand = (file, times) => `for i in $(seq 1 ${times}); do cat ${file}; done`;
