import { readFileSync } from 'node:fs';
import { estimateCostUsd } from '@onsembl/protocol';
import { expect } from 'vitest';
import { apis } from '../fake-apis/index.js';
import { apiOf } from './cli-sandbox.js';
import { plain, processesIn, startAiStack, terminalText, traceEvents, type AiStack, type PromptRun } from './agent-stack.js';
import type { AiCli } from './installed-clis.js';
import { ANSWER_USAGE, TOOL_THEN_ANSWER, TOOL_USAGE } from './scripted-replies.js';

/**
 * The real-CLI suite's cases, the same for every CLI: a real server, two ws dashboards, a real
 * `onsembl agent --type CLI` running the pinned CLI in its loopback-only namespace against the fake
 * model API. Each case checks the terminal output, the trace events both dashboards got, the stored
 * trace and the REST totals.
 */

type Trace = ReturnType<typeof traceEvents>;
type Usage = { inputTokens: number; outputTokens: number; cacheReadTokens: number; cacheWriteTokens: number; costUsd: number | null; costSource: string };

/** Per CLI: the agent's options and what its stream can tell. */
export interface CliCase {
  cli: AiCli;
  /** `onsembl agent` options that let the CLI run a read-only shell command headless. */
  agentArgs: string[];
  /** The model whose price the agent uses when the CLI reports no cost. */
  model?: string;
  /** The tool name the trace's tool_call carries (Codex's stream names no tool: the runner calls a
   * command_execution item "shell"). */
  toolName: string;
  /** Whether the CLI reports its own cost (Claude Code) or the agent estimates it. */
  costSource: 'reported' | 'estimated';
  /** Whether usage arrives during a turn (so a budget can stop a run mid-stream). */
  usageMidRun: boolean;
  /** Whether the stream carries the model's thinking (Gemini CLI's does not). */
  showsThinking: boolean;
  /** Extra agent options that let the CLI write files headless. */
  writeArgs: string[];
  /** Whether the stream gives a file write's content, so the trace can carry a diff (Codex gives paths only). */
  diffs: boolean;
}

export const CASES: Record<AiCli, CliCase> = {
  claude: { cli: 'claude', agentArgs: [], toolName: 'Bash', costSource: 'reported', usageMidRun: true, showsThinking: true, writeArgs: ['--permission-mode', 'acceptEdits'], diffs: true },
  gemini: { cli: 'gemini', agentArgs: ['--permission-mode', 'yolo', '--model', 'gemini-2.5-flash'], model: 'gemini-2.5-flash', toolName: 'run_shell_command', costSource: 'estimated', usageMidRun: false, showsThinking: false, writeArgs: [], diffs: true },
  codex: { cli: 'codex', agentArgs: ['--model', 'gpt-5.5'], model: 'gpt-5.5', toolName: 'shell', costSource: 'estimated', usageMidRun: false, showsThinking: true, writeArgs: ['--permission-mode', 'workspace-write'], diffs: false },
};

export function stack(c: CliCase, extraArgs: string[] = []): Promise<AiStack> {
  return startAiStack(c.cli, { agentArgs: [...c.agentArgs, ...extraArgs] });
}

const kinds = (trace: Trace) => trace.map((t) => t.event.kind);
const lastOf = (trace: Trace, kind: string) => trace.filter((t) => t.event.kind === kind).at(-1)?.event;

/** The trace both dashboards got, the stored trace, and the contiguous sequence numbers agree. */
async function expectTraceEverywhere(s: AiStack, run: PromptRun): Promise<Trace> {
  const trace = traceEvents(run);
  if (process.env.ONSEMBL_AI_REAL_DUMP === '1') {
    console.log(`--- ${s.cli} terminal\n${terminalText(run)}\n--- ${s.cli} trace\n${trace.map((t) => JSON.stringify(t.event)).join('\n')}`);
  }
  expect(trace.length).toBeGreaterThan(0);
  expect(trace.map((t) => t.sequence)).toEqual(trace.map((_, i) => i + 1));
  const watched = traceEvents(await s.settle(run.commandId, s.watcher));
  expect(watched).toEqual(trace);
  const stored = await s.rest<{ events: { sequence: number; event: unknown }[]; complete: boolean }>(`/api/commands/${run.commandId}/trace`);
  expect(stored.complete).toBe(true);
  expect(stored.events).toEqual(trace.map((t) => ({ sequence: t.sequence, event: t.event })));
  return trace;
}

/** The command's usage as REST reports it, per command and in the agent's totals. */
async function expectRestUsage(s: AiStack, commandId: string, usage: Usage) {
  const report = await s.rest<{ byCommand: (Usage & { commandId: string })[]; byAgent: (Usage & { agentId: string; commands: number })[] }>(`/api/usage?agentId=${s.agentId}`);
  expect(report.byCommand.find((c) => c.commandId === commandId)).toMatchObject(usage);
  return report;
}

/** No process of the run is left: nothing runs with its working directory in the sandbox. */
async function expectNothingLeft(s: AiStack) {
  await expect.poll(() => processesIn(s.box.work), { timeout: 5_000 }).toEqual([]);
}

export async function toolCallAndResult(c: CliCase) {
  await using s = await stack(c);
  s.box.fake.script(...TOOL_THEN_ANSWER);
  const run = await s.prompt('list the files');
  expect(run.final.payload, s.agentLog()).toMatchObject({ status: 'completed', stopReason: 'completed' });

  // The terminal: the assistant's text, a line for the tool call, its output, a closing line.
  const text = plain(terminalText(run));
  expect(text).toContain('Let me look.');
  expect(text).toContain('The folder has README.md and hello.txt.');
  expect(text).toMatch(/▸ \S+.*ls/);
  expect(text).toContain('hello.txt');
  expect(text).toMatch(/✔ completed.*tokens/s);

  // The trace, as both dashboards got it and as stored.
  const trace = await expectTraceEverywhere(s, run);
  expect(kinds(trace)[0]).toBe('session');
  expect(kinds(trace).at(-1)).toBe('result');
  const call = lastOf(trace, 'tool_call');
  expect(call).toMatchObject({ name: c.toolName });
  expect(JSON.stringify(call?.input)).toContain('ls');
  const result = lastOf(trace, 'tool_result');
  expect(result).toMatchObject({ toolId: call?.toolId, ok: true, truncated: false });
  expect(String(result?.output)).toContain('hello.txt');
  expect(lastOf(trace, 'result')).toMatchObject({ ok: true, reason: 'completed' });
  if (c.showsThinking) {
    expect(lastOf(trace, 'thinking')).toMatchObject({ text: 'The user wants a listing.' });
    expect(text).toContain('The user wants a listing.');
  } else {
    expect(kinds(trace)).not.toContain('thinking');
  }

  // Usage: the two scripted model calls, with the CLI's cost or one estimated from the price table.
  const tokens = {
    inputTokens: TOOL_USAGE.inputTokens + ANSWER_USAGE.inputTokens,
    outputTokens: TOOL_USAGE.outputTokens + ANSWER_USAGE.outputTokens,
    cacheReadTokens: TOOL_USAGE.cacheReadTokens + ANSWER_USAGE.cacheReadTokens,
    cacheWriteTokens: 0,
  };
  const usage = lastOf(trace, 'usage') as unknown as Usage;
  expect(usage).toMatchObject({ ...tokens, costSource: c.costSource });
  if (c.costSource === 'estimated') expect(usage.costUsd).toBeCloseTo(estimateCostUsd(c.model, tokens) ?? Number.NaN, 9);
  else expect(usage.costUsd).toBeGreaterThan(0);
  expect(run.final.payload.usage).toMatchObject({ ...tokens, costUsd: usage.costUsd, costSource: c.costSource });
  const report = await expectRestUsage(s, run.commandId, { ...tokens, costUsd: usage.costUsd, costSource: c.costSource });
  expect(report.byAgent.find((a) => a.agentId === s.agentId)).toMatchObject({ commands: 1, ...tokens });

  // The command really ran inside the namespace, and its output went back to the model.
  expect(s.box.fake.main()).toHaveLength(2);
  expect(apis[apiOf[c.cli]].toolResults(s.box.fake.main()[1]?.body).join('')).toContain('hello.txt');
  expect(s.box.fake.unknown()).toEqual([]);
  await expectNothingLeft(s);
}

export async function fileChange(c: CliCase) {
  await using s = await stack(c, c.writeArgs);
  const path = `${s.box.work}/notes.txt`;
  s.box.fake.script({ kind: 'write', path, content: 'first line\nsecond line\n' }, { kind: 'answer', text: 'Written.' });
  const run = await s.prompt('write the notes');
  expect(run.final.payload, s.agentLog()).toMatchObject({ status: 'completed', stopReason: 'completed' });
  expect(readFileSync(path, 'utf8')).toBe('first line\nsecond line\n');
  const trace = await expectTraceEverywhere(s, run);
  const change = lastOf(trace, 'file_change');
  expect(change).toMatchObject({ path, change: 'add' });
  if (c.diffs) {
    expect(String(change?.diff)).toContain('+first line');
    expect(String(change?.diff)).toContain('+second line');
  } else {
    expect(change).not.toHaveProperty('diff');
  }
  expect(plain(terminalText(run))).toContain('notes.txt');
}

export async function resumedSession(c: CliCase) {
  await using s = await stack(c);
  s.box.fake.script({ kind: 'answer', text: 'First answer.' }, { kind: 'answer', text: 'Second answer.' });
  const first = await s.prompt('first prompt');
  expect(first.final.payload, s.agentLog()).toMatchObject({ status: 'completed' });
  const session = first.final.payload.sessionId as string;
  expect(typeof session).toBe('string');
  expect(lastOf(traceEvents(first), 'session')).toMatchObject({ sessionId: session, resumed: false });

  const second = await s.prompt('second prompt');
  expect(second.final.payload).toMatchObject({ status: 'completed', sessionId: session });
  expect(lastOf(traceEvents(second), 'session')).toMatchObject({ sessionId: session, resumed: true });
  expect(plain(terminalText(second))).toContain('Second answer.');
  // The model saw the first exchange: the CLI continued the conversation.
  const texts = apis[apiOf[c.cli]].texts(s.box.fake.main()[1]?.body).join('\n');
  expect(texts).toContain('first prompt');
  expect(texts).toContain('First answer.');
  expect(texts).toContain('second prompt');

  // A request for a new session starts over.
  s.box.fake.script({ kind: 'answer', text: 'Fresh answer.' });
  const fresh = await s.prompt('fresh prompt', { newSession: true });
  expect(fresh.final.payload).toMatchObject({ status: 'completed' });
  expect(fresh.final.payload.sessionId).not.toBe(session);
  expect(apis[apiOf[c.cli]].texts(s.box.fake.main()[2]?.body).join('\n')).not.toContain('First answer.');
}

export async function interrupted(c: CliCase) {
  await using s = await stack(c);
  s.box.fake.script({ kind: 'stall', text: 'Working on it' });
  const commandId = await s.send('take your time');
  await s.box.fake.waitForRequest((r) => r.reply?.kind === 'stall');
  s.dashboard.send('command:interrupt', { commandId });
  const run = await s.settle(commandId);
  expect(run.final.payload, s.agentLog()).toMatchObject({ stopReason: 'interrupted' });
  expect(run.final.payload.status).not.toBe('completed');
  const trace = await expectTraceEverywhere(s, run);
  expect(lastOf(trace, 'result')).toMatchObject({ ok: false, reason: 'interrupted' });
  expect(plain(terminalText(run))).toMatch(/✘ interrupted/);
  await expectNothingLeft(s);
  await s.box.fake.waitForRequest((r) => r.reply?.kind === 'stall' && r.aborted);
}

export async function emergencyStop(c: CliCase) {
  await using s = await stack(c);
  s.box.fake.script({ kind: 'stall', text: 'Working on it' });
  const commandId = await s.send('take your time');
  await s.box.fake.waitForRequest((r) => r.reply?.kind === 'stall');
  s.dashboard.send('emergency:stop', { reason: 'test' });
  const run = await s.settle(commandId);
  expect(run.final.payload, s.agentLog()).toMatchObject({ stopReason: 'interrupted' });
  expect(lastOf(await expectTraceEverywhere(s, run), 'result')).toMatchObject({ ok: false, reason: 'interrupted' });
  await expectNothingLeft(s);
}

export async function authFailure(c: CliCase) {
  await using s = await stack(c);
  s.box.fake.script({ kind: 'error', status: 401 });
  const run = await s.prompt('hi');
  expect(run.final.payload, s.agentLog()).toMatchObject({ status: 'failed', stopReason: 'not_logged_in' });
  expect(String(run.final.payload.message)).toMatch(/not logged in|401|auth|API key/i);
  const trace = await expectTraceEverywhere(s, run);
  expect(lastOf(trace, 'result')).toMatchObject({ ok: false, reason: 'not_logged_in' });
  expect(plain(terminalText(run))).toMatch(/✘ not logged in/);
  await expectNothingLeft(s);
}

export async function rateLimited(c: CliCase) {
  await using s = await stack(c);
  s.box.fake.script({ kind: 'error', status: 429 });
  const run = await s.prompt('hi');
  expect(run.final.payload, s.agentLog()).toMatchObject({ status: 'failed', stopReason: 'rate_limited' });
  const trace = await expectTraceEverywhere(s, run);
  expect(lastOf(trace, 'result')).toMatchObject({ ok: false, reason: 'rate_limited' });
  expect(plain(terminalText(run))).toMatch(/✘ rate limited/);
  await expectNothingLeft(s);
}

export async function budgetStop(c: CliCase) {
  await using s = await stack(c);
  const big = { inputTokens: 50_000, outputTokens: 100 };
  if (c.usageMidRun) {
    // The first call reports far more than the budget: the agent stops the run as soon as it reads
    // that usage (the next call would stall forever otherwise).
    s.box.fake.script({ kind: 'tool', command: 'ls', usage: big }, { kind: 'stall', text: 'Still going' });
    const run = await s.prompt('spend a lot', { maxTokens: 10_000 });
    expect(run.final.payload, s.agentLog()).toMatchObject({ status: 'failed', stopReason: 'budget_tokens' });
    const trace = await expectTraceEverywhere(s, run);
    expect(lastOf(trace, 'result')).toMatchObject({ ok: false, reason: 'budget_tokens' });
    const usage = lastOf(trace, 'usage') as unknown as Usage;
    expect(usage.inputTokens).toBeGreaterThan(10_000);
    await expectRestUsage(s, run.commandId, { inputTokens: usage.inputTokens } as Usage);
    expect(plain(terminalText(run))).toMatch(/✘ token budget reached/);
  } else {
    // The CLI reports usage only with its final event: the run is over before the agent can know it
    // passed the budget. It completes, with a warning that says so, and the totals show the overrun.
    s.box.fake.script({ kind: 'tool', command: 'ls', usage: big }, { kind: 'answer', text: 'Done.', usage: big });
    const run = await s.prompt('spend a lot', { maxTokens: 10_000 });
    expect(run.final.payload, s.agentLog()).toMatchObject({ status: 'completed', stopReason: 'completed' });
    const trace = await expectTraceEverywhere(s, run);
    const notice = lastOf(trace, 'notice');
    expect(notice).toMatchObject({ level: 'warn' });
    expect(String(notice?.message)).toMatch(/token budget of 10000/);
    const usage = lastOf(trace, 'usage') as unknown as Usage;
    expect(usage.inputTokens).toBe(100_000);
    await expectRestUsage(s, run.commandId, { inputTokens: 100_000 } as Usage);
  }
  await expectNothingLeft(s);
}
