import type { StopReason, TokenUsage } from '@onsembl/protocol';
import { classifyApiError } from './classify.js';
import { FILE_TOOLS, fileChangeOf } from './file-diff.js';
import { capInput, capMessage, capOutput, safeId, splitText, textOf, toolSummary } from './trace-caps.js';
import type { CliVerdict, ParserContext, ProcessExit, StreamParser } from './types.js';
import { count } from './usage-meter.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Claude's usage object; `input_tokens` already excludes cache reads and writes. */
function tokensOf(usage: unknown): TokenUsage {
  const u = isObj(usage) ? usage : {};
  return {
    inputTokens: count(u.input_tokens),
    outputTokens: count(u.output_tokens),
    cacheReadTokens: count(u.cache_read_input_tokens),
    cacheWriteTokens: count(u.cache_creation_input_tokens),
  };
}

/**
 * Claude Code's `--output-format stream-json --verbose` lines: system/init, assistant lines (one per
 * content block), user lines with tool results, and the final `result`.
 */
export class ClaudeStream implements StreamParser {
  verdict: CliVerdict | undefined;
  sessionId: string | undefined;
  model: string | undefined;
  private apiKeySource: string | undefined;
  private lastApiError: { kind: string; status: number | undefined } | undefined;
  private toolCount = 0;
  /** Calls of file-editing tools, until their result says whether they worked. */
  private readonly fileCalls = new Map<string, { name: string; input: unknown }>();

  constructor(private readonly context: ParserContext) {
    this.model = context.model;
  }

  line(value: Obj): void {
    switch (value.type) {
      case 'system':
        return this.system(value);
      case 'assistant':
        return this.assistant(value);
      case 'user':
        return this.user(value);
      case 'result':
        return this.result(value);
      case 'control_request':
        return this.controlRequest(value);
      default:
        // stream_event (partial messages), rate_limit_event, control_response: nothing to show.
        return;
    }
  }

  stderrLine(): void {}

  flush(): void {}

  exitVerdict(exit: ProcessExit): { reason: StopReason; message: string } | undefined {
    if (this.lastApiError && exit.exitCode !== 0) {
      return { reason: classifyApiError(this.lastApiError.status, this.lastApiError.kind), message: `API error: ${this.lastApiError.kind}` };
    }
    return undefined;
  }

  private get sink() {
    return this.context.sink;
  }

  private controlRequest(value: Obj): void {
    const requestId = str(value.request_id);
    const request = isObj(value.request) ? value.request : {};
    if (requestId === undefined) return;
    if (request.subtype !== 'can_use_tool') {
      this.sink.control({ subtype: 'other', requestId, name: str(request.subtype) ?? 'unknown' });
      return;
    }
    const toolUseId = str(request.tool_use_id);
    const description = str(request.description);
    this.sink.control({
      subtype: 'can_use_tool',
      requestId,
      tool: (str(request.tool_name) ?? 'tool').slice(0, 256) || 'tool',
      input: request.input ?? null,
      ...(toolUseId ? { toolUseId: safeId(toolUseId, 'tool') } : {}),
      ...(description ? { description: capMessage(description) } : {}),
    });
  }

  private system(value: Obj): void {
    switch (value.subtype) {
      case 'init': {
        this.sessionId = safeId(value.session_id, 'unknown');
        this.model = str(value.model) ?? this.model;
        this.apiKeySource = str(value.apiKeySource);
        const cwd = str(value.cwd);
        const version = str(value.claude_code_version);
        this.sink.event({
          kind: 'session',
          sessionId: this.sessionId,
          ...(this.model ? { model: this.model.slice(0, 128) } : {}),
          ...(cwd ? { cwd: cwd.slice(0, 4096) } : {}),
          ...(version ? { cliVersion: version.slice(0, 64) } : {}),
          resumed: this.context.resumeSessionId !== undefined,
        });
        return;
      }
      case 'api_retry': {
        const status = typeof value.error_status === 'number' ? value.error_status : undefined;
        const kind = str(value.error) ?? 'error';
        this.lastApiError = { kind, status };
        const attempt = `${count(value.attempt)}/${count(value.max_retries)}`;
        this.sink.event({ kind: 'notice', level: 'warn', message: capMessage(`API ${kind}${status ? ` (${status})` : ''}: retry ${attempt}`) });
        return;
      }
      case 'permission_denied': {
        const tool = str(value.tool_name) ?? 'tool';
        this.sink.event({ kind: 'notice', level: 'warn', message: capMessage(`permission denied for ${tool}: ${str(value.message) ?? ''}`.trim()) });
        return;
      }
      default:
        return;
    }
  }

  private assistant(value: Obj): void {
    const message = isObj(value.message) ? value.message : {};
    const model = str(message.model);
    const synthetic = model === '<synthetic>';
    if (typeof value.error === 'string') {
      this.lastApiError = { kind: value.error, status: typeof value.api_error_status === 'number' ? value.api_error_status : undefined };
    }
    if (!synthetic && model) this.model = model;
    if (!synthetic && isObj(message.usage)) {
      // A start snapshot per model call, repeated on every content block of that call: replace, never add.
      const callId = str(message.id) ?? `call-${this.toolCount}`;
      this.sink.usage({ mode: 'call', callId, tokens: tokensOf(message.usage), ...(model ? { model } : {}) });
    }
    const content = Array.isArray(message.content) ? message.content : [];
    for (const block of content) {
      if (!isObj(block)) continue;
      if (block.type === 'text' && typeof block.text === 'string') {
        // An API error comes as a made-up assistant message; it is a notice, the result repeats it.
        if (typeof value.error === 'string' || synthetic) {
          this.sink.event({ kind: 'notice', level: 'error', message: capMessage(block.text) });
        } else {
          for (const text of splitText(block.text)) this.sink.event({ kind: 'message', text });
        }
      } else if (block.type === 'thinking' && typeof block.thinking === 'string') {
        if (block.thinking.length > 0) for (const text of splitText(block.thinking)) this.sink.event({ kind: 'thinking', text });
      } else if (block.type === 'tool_use') {
        this.toolCount++;
        const name = (str(block.name) ?? 'tool').slice(0, 256) || 'tool';
        const toolId = safeId(block.id, `tool-${this.toolCount}`);
        if (FILE_TOOLS.has(name)) this.fileCalls.set(toolId, { name, input: block.input });
        this.sink.event({
          kind: 'tool_call',
          toolId,
          name,
          ...capInput(block.input ?? null),
          summary: toolSummary(name, block.input),
        });
      }
    }
  }

  private user(value: Obj): void {
    const message = isObj(value.message) ? value.message : {};
    const content = Array.isArray(message.content) ? message.content : [];
    for (const block of content) {
      if (!isObj(block)) continue;
      if (block.type === 'tool_result') {
        const toolId = safeId(block.tool_use_id, 'tool');
        const ok = block.is_error !== true;
        this.sink.event({ kind: 'tool_result', toolId, ok, ...capOutput(textOf(block.content)) });
        const call = this.fileCalls.get(toolId);
        this.fileCalls.delete(toolId);
        const change = call && ok ? fileChangeOf(call.name, call.input, value.tool_use_result) : undefined;
        if (change) this.sink.event({ kind: 'file_change', ...change, toolId });
      } else if (block.type === 'text' && typeof block.text === 'string' && block.text.startsWith('[Request interrupted')) {
        this.sink.event({ kind: 'notice', level: 'info', message: capMessage(block.text) });
      }
    }
  }

  private result(value: Obj): void {
    const isError = value.is_error === true;
    const subtype = str(value.subtype);
    const errors = Array.isArray(value.errors) ? value.errors.filter((e): e is string => typeof e === 'string') : [];
    const resultText = str(value.result);
    let reason: StopReason = 'completed';
    if (isError) {
      if (subtype === 'error_max_turns' || value.terminal_reason === 'max_turns') reason = 'turn_limit';
      else if (subtype === 'error_max_budget_usd') reason = 'budget_cost';
      else {
        // API errors arrive as subtype "success" with is_error: true.
        const status = typeof value.api_error_status === 'number' ? value.api_error_status : this.lastApiError?.status;
        const said = [resultText ?? '', ...errors, this.lastApiError?.kind ?? ''].join(' ');
        reason = this.apiKeySource === 'none' ? 'not_logged_in' : classifyApiError(status, said);
      }
    }
    const message = isError ? (resultText ?? errors.join('; ')) || subtype : undefined;
    this.verdict = {
      ok: !isError,
      reason,
      ...(message ? { message: capMessage(message) } : {}),
      ...(typeof value.num_turns === 'number' ? { turns: count(value.num_turns) } : {}),
      ...(typeof value.duration_ms === 'number' ? { durationMs: count(value.duration_ms) } : {}),
      ...(!isError && resultText !== undefined ? { text: resultText } : {}),
    };
    if (typeof value.session_id === 'string') this.sessionId = safeId(value.session_id, this.sessionId ?? 'unknown');
    const cost = typeof value.total_cost_usd === 'number' && value.total_cost_usd >= 0 ? value.total_cost_usd : undefined;
    if (isObj(value.usage)) {
      this.sink.usage({
        mode: 'final',
        tokens: tokensOf(value.usage),
        ...(this.model ? { model: this.model } : {}),
        ...(cost === undefined ? {} : { cost: { usd: cost, source: 'reported' as const } }),
      });
    }
  }
}
