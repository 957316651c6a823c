/**
 * The pinned gemini as a real agent type: `onsembl agent --type gemini --cli WRAPPER` through a real server
 * and two ws dashboards, the CLI in a loopback-only namespace against the fake model API
 * (harness/agent-cases.ts has the cases; harness/cli-sandbox.ts the isolation).
 */
import { describe, test } from 'vitest';
import { aiRealCanRun } from './harness/availability.js';
import { authFailure, budgetStop, CASES, emergencyStop, fileChange, interrupted, rateLimited, resumedSession, toolCallAndResult } from './harness/agent-cases.js';

const runs = aiRealCanRun('test/ai-real/gemini-agent', ['gemini']);
const c = CASES.gemini;

describe.runIf(runs)('gemini as an Onsembl agent, end to end', { timeout: 240_000 }, () => {
  test('a prompt with one tool call and its result: terminal, trace on both dashboards, stored trace, REST usage', () => toolCallAndResult(c));
  test('a file the CLI writes is a file_change event (with a diff where the stream gives the content)', () => fileChange(c));
  test('the next prompt resumes the session; newSession starts over', () => resumedSession(c));
  test('an interrupt stops the run mid-stream and leaves no process behind', () => interrupted(c));
  test('an emergency stop ends the run the same way', () => emergencyStop(c));
  test('an auth failure (HTTP 401) fails the command as not logged in', () => authFailure(c));
  test('a rate limit (HTTP 429) fails the command as rate limited', () => rateLimited(c));
  test('maxTokens passed by the final usage: the run completes with a warning (usage comes only at the end)', () => budgetStop(c));
});
