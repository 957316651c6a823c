// @ts-check
// The AI-stream scenario's input: a long Claude Code stream-json run, made from a run the real CLI
// printed (test/fixtures/ai-cli/streams/claude_ok.out) with its tool-call section (thinking, text,
// a Bash call and its result) repeated with fresh ids, so it has thousands of tool calls. The
// stand-in CLI replays the file line by line; the shell baseline `cat`s the very same bytes.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readStream, renumber } from '../../test/fixtures/ai-cli/fake-cli.js';

/** The stand-in `claude` that replays it (see test/fixtures/ai-cli/fake-cli.js). */
export const FAKE_CLAUDE = fileURLToPath(new URL('../../test/fixtures/ai-cli/fake-claude.js', import.meta.url));

/** @typedef {{ file: string, bytes: number, lines: number, toolCalls: number }} AiStream */

/**
 * @param {number} toolCalls
 * @returns {AiStream}
 */
export function makeClaudeStream(toolCalls) {
  const lines = readStream('claude_ok.out');
  // claude_ok.out: init, thinking tokens, three assistant lines of one call (thinking, text,
  // tool_use), the tool result, the final message, the result.
  const section = lines.slice(2, 6);
  const body = [];
  for (let k = 1; k <= toolCalls; k++) body.push(...section.map((line) => renumber(line, k)));
  const all = [...lines.slice(0, 2), ...body, ...lines.slice(6)];
  const dir = mkdtempSync(join(tmpdir(), 'onsembl-bench-ai-'));
  const file = join(dir, 'claude-long.jsonl');
  const text = `${all.join('\n')}\n`;
  writeFileSync(file, text);
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return { file, bytes: Buffer.byteLength(text), lines: all.length, toolCalls };
}
