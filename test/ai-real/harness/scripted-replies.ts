import type { FakeReply } from '../fake-apis/index.js';

/**
 * The conversation both the direct and the agent tests script for a tool call: the shell tool runs
 * `ls`, then the answer once its output went back, each model call with its own usage figures (the
 * tests check the CLI's and the agent's sums of them).
 */
export const TOOL_USAGE = { inputTokens: 1200, outputTokens: 30, cacheReadTokens: 800 };
export const ANSWER_USAGE = { inputTokens: 1300, outputTokens: 12, cacheReadTokens: 900 };
export const TOOL_THEN_ANSWER: FakeReply[] = [
  { kind: 'tool', command: 'ls', text: 'Let me look.', thinking: 'The user wants a listing.', usage: TOOL_USAGE },
  { kind: 'answer', text: ['The folder has ', 'README.md and hello.txt.'], usage: ANSWER_USAGE },
];
