import { estimateCostUsd, type StopReason, type TokenUsage } from '@onsembl/protocol';
import { classifyApiError } from './classify.js';
import { FILE_TOOLS, fileChangeOf } from './file-diff.js';
import { capInput, capMessage, capOutput, safeId, splitText, textOf, toolSummary } from './trace-caps.js';
import type { CliVerdict, ParserContext, ProcessExit, StreamParser } from './types.js';
import { count } from './usage-meter.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * Gemini CLI's exit codes when it gives no `result` line (docs/agents.md). API errors exit with the
 * HTTP status cut to 8 bits: 401 → 145, 403 → 147, 429 → 173, 500 → 244, 503 → 247.
 */
const EXIT_CODES: Record<number, { reason: StopReason; message: string }> = {
  41: { reason: 'not_logged_in', message: 'Gemini CLI is not authenticated (exit 41): set GEMINI_API_KEY or log in with `gemini` once' },
  42: { reason: 'cli_error', message: 'Gemini CLI refused its input (exit 42)' },
  44: { reason: 'cli_error', message: 'Gemini CLI sandbox error (exit 44)' },
  52: { reason: 'cli_error', message: 'Gemini CLI configuration error (exit 52)' },
  53: { reason: 'turn_limit', message: 'Gemini CLI reached its session turn limit (exit 53)' },
  54: { reason: 'cli_error', message: 'a tool failed fatally (exit 54)' },
  55: { reason: 'cli_error', message: 'the workspace is not trusted (exit 55): set GEMINI_CLI_TRUST_WORKSPACE=true or pass --cli-arg --skip-trust' },
  130: { reason: 'interrupted', message: 'Gemini CLI was cancelled (exit 130)' },
  144: { reason: 'cli_error', message: 'the Gemini API refused the request (HTTP 400, exit 144)' },
  145: { reason: 'not_logged_in', message: 'the Gemini API refused the key (HTTP 401, exit 145)' },
  147: { reason: 'not_logged_in', message: 'the Gemini API denied access (HTTP 403, exit 147)' },
  148: { reason: 'cli_error', message: 'the Gemini API does not know the model (HTTP 404, exit 148)' },
  173: { reason: 'rate_limited', message: 'the Gemini API is rate limiting (HTTP 429, exit 173)' },
  244: { reason: 'cli_error', message: 'the Gemini API failed (HTTP 500, exit 244)' },
  247: { reason: 'cli_error', message: 'the Gemini API is unavailable (HTTP 503, exit 247)' },
};

/** Gemini stats: `input_tokens` includes cached tokens; `input` is the uncached part. */
function tokensOf(stats: Obj): TokenUsage {
  const cached = count(stats.cached);
  const input = typeof stats.input === 'number' ? count(stats.input) : Math.max(0, count(stats.input_tokens) - cached);
  return { inputTokens: input, outputTokens: count(stats.output_tokens), cacheReadTokens: cached, cacheWriteTokens: 0 };
}

/**
 * Gemini CLI's `--output-format stream-json` lines: init, messages (assistant text in delta chunks,
 * joined here), tool_use, tool_result, error, result with per-process stats and no cost.
 */
export class GeminiStream implements StreamParser {
  verdict: CliVerdict | undefined;
  sessionId: string | undefined;
  model: string | undefined;
  private text = '';
  private readonly fileCalls = new Map<string, { name: string; input: unknown }>();

  constructor(private readonly context: ParserContext) {
    this.model = context.model;
  }

  line(value: Obj): void {
    switch (value.type) {
      case 'init': {
        this.sessionId = safeId(value.session_id, 'unknown');
        this.model = str(value.model) ?? this.model;
        this.sink.event({
          kind: 'session',
          sessionId: this.sessionId,
          ...(this.model ? { model: this.model.slice(0, 128) } : {}),
          resumed: this.context.resumeSessionId !== undefined,
        });
        return;
      }
      case 'message': {
        if (value.role !== 'assistant') return;
        const content = textOf(value.content);
        if (value.delta === true) {
          this.text += content;
          this.sink.delta(content);
        } else {
          this.flush();
          for (const text of splitText(content)) this.sink.event({ kind: 'message', text });
        }
        return;
      }
      case 'tool_use': {
        this.flush();
        const name = (str(value.tool_name) ?? 'tool').slice(0, 256) || 'tool';
        const toolId = safeId(value.tool_id, 'tool');
        if (FILE_TOOLS.has(name)) this.fileCalls.set(toolId, { name, input: value.parameters });
        this.sink.event({
          kind: 'tool_call',
          toolId,
          name,
          ...capInput(value.parameters ?? null),
          summary: toolSummary(name, value.parameters),
        });
        return;
      }
      case 'tool_result': {
        this.flush();
        const ok = value.status === 'success';
        const output = value.output !== undefined ? textOf(value.output) : textOf(value.error);
        const toolId = safeId(value.tool_id, 'tool');
        this.sink.event({ kind: 'tool_result', toolId, ok, ...capOutput(output) });
        const call = this.fileCalls.get(toolId);
        this.fileCalls.delete(toolId);
        const change = call && ok ? fileChangeOf(call.name, call.input, undefined) : undefined;
        if (change) this.sink.event({ kind: 'file_change', ...change, toolId });
        return;
      }
      case 'error': {
        this.flush();
        const level = value.severity === 'error' ? 'error' : 'warn';
        this.sink.event({ kind: 'notice', level, message: capMessage(textOf(value.message) || 'error') });
        return;
      }
      case 'result':
        return this.result(value);
      default:
        return;
    }
  }

  stderrLine(line: string): void {
    // Retries are reported only on stderr, with a stack trace after each.
    const retry = /^Attempt (\d+) failed with status (\d+)\. Retrying/.exec(line);
    if (retry) this.sink.event({ kind: 'notice', level: 'warn', message: `API error ${retry[2]}: retry ${retry[1]}` });
  }

  flush(): void {
    if (this.text.length === 0) return;
    const text = this.text;
    this.text = '';
    for (const piece of splitText(text)) this.sink.event({ kind: 'message', text: piece }, { shown: true });
  }

  exitVerdict(exit: ProcessExit): { reason: StopReason; message: string } | undefined {
    return exit.exitCode === null ? undefined : EXIT_CODES[exit.exitCode];
  }

  private get sink() {
    return this.context.sink;
  }

  private result(value: Obj): void {
    this.flush();
    const ok = value.status === 'success';
    const error = isObj(value.error) ? value.error : {};
    const errorText = textOf(error.message);
    let reason: StopReason = 'completed';
    if (!ok) reason = error.type === 'FatalTurnLimitedError' ? 'turn_limit' : classifyApiError(undefined, errorText);
    const stats = isObj(value.stats) ? value.stats : {};
    this.verdict = {
      ok,
      reason,
      ...(!ok ? { message: capMessage(errorText || `Gemini CLI reported ${str(value.status) ?? 'an error'}`) } : {}),
      ...(typeof stats.duration_ms === 'number' ? { durationMs: count(stats.duration_ms) } : {}),
    };
    const tokens = tokensOf(stats);
    // Estimated per model the stats name (a run may use several), from the protocol's price table.
    let usd: number | null = 0;
    const models = isObj(stats.models) ? Object.entries(stats.models) : [];
    for (const [model, modelStats] of models) {
      if (!isObj(modelStats)) continue;
      const modelTokens = tokensOf(modelStats);
      if (modelTokens.inputTokens + modelTokens.outputTokens + modelTokens.cacheReadTokens === 0) continue;
      const cost = estimateCostUsd(model, modelTokens);
      usd = usd === null || cost === null ? null : usd + cost;
    }
    if (models.length === 0) usd = estimateCostUsd(this.model, tokens);
    const model = models.length === 1 ? models[0]?.[0] : this.model;
    this.sink.usage({ mode: 'final', tokens, ...(model ? { model } : {}), cost: { usd, source: 'estimated' } });
  }
}
