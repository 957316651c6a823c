import type { StopReason, TokenUsage } from '@onsembl/protocol';
import { classifyApiError } from './classify.js';
import { capInput, capMessage, capOutput, safeId, splitText, textOf, toolSummary } from './trace-caps.js';
import type { CliVerdict, ParserContext, ProcessExit, StreamParser } from './types.js';
import { count, ZERO_TOKENS } from './usage-meter.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Codex usage: `input_tokens` includes cached input; reasoning is part of output. */
function tokensOf(usage: Obj): TokenUsage {
  const cached = count(usage.cached_input_tokens);
  return {
    inputTokens: Math.max(0, count(usage.input_tokens) - cached),
    outputTokens: count(usage.output_tokens),
    cacheReadTokens: cached,
    cacheWriteTokens: count(usage.cache_write_input_tokens),
  };
}

function minus(a: TokenUsage, b: TokenUsage): TokenUsage {
  return {
    inputTokens: Math.max(0, a.inputTokens - b.inputTokens),
    outputTokens: Math.max(0, a.outputTokens - b.outputTokens),
    cacheReadTokens: Math.max(0, a.cacheReadTokens - b.cacheReadTokens),
    cacheWriteTokens: Math.max(0, a.cacheWriteTokens - b.cacheWriteTokens),
  };
}

/** `/bin/bash -lc 'ls -la'` → `ls -la`: the shell wrapper Codex puts around every command. */
function bareCommand(command: string): string {
  const match = /^\S*\/(?:ba|z)?sh\s+-l?c\s+(.*)$/s.exec(command);
  if (!match?.[1]) return command;
  const inner = match[1];
  const quoted = /^'(.*)'$/s.exec(inner) ?? /^"(.*)"$/s.exec(inner);
  return quoted?.[1] ?? inner;
}

const CHANGE_KIND: Record<string, 'add' | 'modify' | 'delete' | 'rename'> = {
  add: 'add', create: 'add', delete: 'delete', remove: 'delete', update: 'modify', modify: 'modify', rename: 'rename', move: 'rename',
};

/**
 * Codex's `exec --json` lines: thread.started, turn.*, item.started/updated/completed (messages,
 * reasoning, commands, file changes, MCP calls, web searches), error. Usage on turn.completed is a
 * running total of the whole thread, so a run's own usage is the growth since the thread was last seen.
 */
export class CodexStream implements StreamParser {
  verdict: CliVerdict | undefined;
  sessionId: string | undefined;
  model: string | undefined;
  private readonly calls = new Set<string>();
  private baseline: TokenUsage | undefined;
  private lastError: string | undefined;
  private turns = 0;

  constructor(private readonly context: ParserContext) {
    this.model = context.model;
  }

  line(value: Obj): void {
    switch (value.type) {
      case 'thread.started': {
        this.sessionId = safeId(value.thread_id, 'unknown');
        const known = this.context.threadTotals.get(this.sessionId);
        this.baseline = known ?? ZERO_TOKENS;
        this.sink.event({
          kind: 'session',
          sessionId: this.sessionId,
          ...(this.model ? { model: this.model.slice(0, 128) } : {}),
          resumed: this.context.resumeSessionId !== undefined,
        });
        if (this.context.resumeSessionId !== undefined && !known) {
          this.sink.event({
            kind: 'notice',
            level: 'info',
            message: 'Codex reports token totals for the whole thread; this agent process has not seen its earlier turns, so the totals of this run include them',
          });
        }
        return;
      }
      case 'item.started':
      case 'item.completed':
        if (isObj(value.item)) this.item(value.item, value.type === 'item.completed');
        return;
      case 'turn.completed': {
        this.turns++;
        const usage = isObj(value.usage) ? tokensOf(value.usage) : ZERO_TOKENS;
        if (this.sessionId) this.context.threadTotals.set(this.sessionId, usage);
        // The verdict first: usage that comes with it cannot stop the run any more (AiRun).
        if (!this.verdict || this.verdict.ok) this.verdict = { ok: true, reason: 'completed', turns: this.turns };
        this.sink.usage({ mode: 'final', tokens: minus(usage, this.baseline ?? ZERO_TOKENS), ...(this.model ? { model: this.model } : {}) });
        return;
      }
      case 'turn.failed': {
        this.turns++;
        const error = isObj(value.error) ? textOf(value.error.message) : textOf(value.error);
        const message = error || this.lastError || 'the turn failed';
        this.verdict = { ok: false, reason: classifyApiError(undefined, message), message: capMessage(message), turns: this.turns };
        return;
      }
      case 'error': {
        const message = textOf(value.message) || 'error';
        this.lastError = message;
        this.sink.event({ kind: 'notice', level: 'warn', message: capMessage(message) });
        return;
      }
      default:
        return; // turn.started, item.updated
    }
  }

  stderrLine(): void {}

  flush(): void {}

  exitVerdict(exit: ProcessExit): { reason: StopReason; message: string } | undefined {
    if (exit.exitCode !== 0 && this.lastError) return { reason: classifyApiError(undefined, this.lastError), message: this.lastError };
    return undefined;
  }

  private get sink() {
    return this.context.sink;
  }

  private call(id: string, name: string, input: unknown, summary?: string): void {
    if (this.calls.has(id)) return;
    this.calls.add(id);
    this.sink.event({ kind: 'tool_call', toolId: id, name, ...capInput(input), summary: summary ?? toolSummary(name, input) });
  }

  private item(item: Obj, completed: boolean): void {
    const id = safeId(item.id, `item-${this.calls.size}`);
    switch (item.type) {
      case 'agent_message':
        if (completed) for (const text of splitText(textOf(item.text))) this.sink.event({ kind: 'message', text });
        return;
      case 'reasoning':
        if (completed) for (const text of splitText(textOf(item.text))) this.sink.event({ kind: 'thinking', text });
        return;
      case 'command_execution': {
        const command = bareCommand(str(item.command) ?? '');
        this.call(id, 'shell', { command }, toolSummary('shell', { command }));
        if (!completed) return;
        const ok = item.status === 'completed' && (item.exit_code === 0 || item.exit_code === undefined);
        this.sink.event({ kind: 'tool_result', toolId: id, ok, ...capOutput(textOf(item.aggregated_output)) });
        return;
      }
      case 'file_change': {
        if (!completed) return;
        const changes = Array.isArray(item.changes) ? item.changes.filter(isObj) : [];
        for (const change of changes) {
          const path = str(change.path);
          if (!path) continue;
          this.sink.event({
            kind: 'file_change',
            path: path.slice(0, 4096),
            change: CHANGE_KIND[str(change.kind) ?? ''] ?? 'modify',
            toolId: id,
          });
        }
        return;
      }
      case 'mcp_tool_call': {
        const name = `${str(item.server) ?? 'mcp'}.${str(item.tool) ?? 'tool'}`.slice(0, 256);
        this.call(id, name, item.arguments ?? null);
        if (!completed) return;
        const failed = item.status === 'failed' || item.error !== undefined && item.error !== null;
        const output = failed ? textOf(item.error) : textOf(isObj(item.result) ? (item.result.content ?? item.result) : item.result);
        this.sink.event({ kind: 'tool_result', toolId: id, ok: !failed, ...capOutput(output) });
        return;
      }
      case 'web_search':
        this.call(id, 'web_search', { query: str(item.query) ?? '' });
        return;
      case 'todo_list': {
        if (!completed) return;
        const items = Array.isArray(item.items) ? item.items.filter(isObj) : [];
        const lines = items.map((todo) => `${todo.completed === true ? '[x]' : '[ ]'} ${str(todo.text) ?? ''}`);
        if (lines.length > 0) this.sink.event({ kind: 'notice', level: 'info', message: capMessage(`plan:\n${lines.join('\n')}`) });
        return;
      }
      case 'error':
        if (completed) this.sink.event({ kind: 'notice', level: 'warn', message: capMessage(textOf(item.message) || 'error') });
        return;
      default:
        return;
    }
  }
}
