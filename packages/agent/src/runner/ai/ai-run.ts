import type { StopReason, TokenUsage, TraceEvent, TraceEventOf, UsageTotals } from '@onsembl/protocol';
import type { RunVerdict } from '../runner.js';
import { ClaudeStream } from './claude-stream.js';
import { REASON_TEXT } from './classify.js';
import { CodexStream } from './codex-stream.js';
import { GeminiStream } from './gemini-stream.js';
import { LineSplitter } from './line-splitter.js';
import { TerminalRenderer } from './render.js';
import { capMessage, cutText } from './trace-caps.js';
import type { ControlRequest, ParserSink, ProcessExit, StreamFormat, StreamParser, TraceDraft, UsageUpdate } from './types.js';
import { tokenSum, UsageMeter, type Budget } from './usage-meter.js';

export interface AiRunOptions {
  format: StreamFormat;
  /** Shown in messages ("claude exited …"). */
  cliName: string;
  resumeSessionId?: string | undefined;
  model?: string | undefined;
  budget: Budget;
  threadTotals: Map<string, TokenUsage>;
  /** ms since epoch, for `at` (tests pass a fixed clock). */
  now?: () => number;
}

export interface AiRunOutput {
  trace(event: TraceEvent): void;
  /** Terminal text to show. */
  text(text: string): void;
  /** A budget was passed: the run must be stopped (called once). */
  overBudget(reason: Extract<StopReason, 'budget_tokens' | 'budget_cost'>): void;
  /** The CLI waits for an answer to a control request (Claude's approvals); unset: refused. */
  control?(request: ControlRequest): void;
}


/** Keeps the last few KB of stderr, for a failure the stream does not explain. */
const STDERR_TAIL_CHARS = 4_096;
const STDERR_TAIL_LINES = 12;

const parsers: Record<StreamFormat, new (context: ConstructorParameters<typeof ClaudeStream>[0]) => StreamParser> = {
  claude: ClaudeStream,
  gemini: GeminiStream,
  codex: CodexStream,
};

/**
 * One AI CLI run, without the process: bytes of stdout and stderr in, trace events and terminal
 * text out, and at the end the verdict. Pure, so every hard case of the streams is unit-tested.
 */
export class AiRun {
  private readonly stdoutLines = new LineSplitter();
  private readonly stderrLines = new LineSplitter(64 * 1024);
  private readonly parser: StreamParser;
  private readonly meter: UsageMeter;
  private readonly renderer = new TerminalRenderer();
  private readonly now: () => number;
  private stderrTail: string[] = [];
  private stopped: StopReason | undefined;
  private budgetHit: Extract<StopReason, 'budget_tokens' | 'budget_cost'> | undefined;
  /** The totals the last usage event carried (the meter makes a new object on every change). */
  private lastUsage: UsageTotals | undefined;
  private blindNoticeSent = false;
  private ended = false;

  constructor(
    private readonly options: AiRunOptions,
    private readonly output: AiRunOutput,
  ) {
    this.now = options.now ?? Date.now;
    this.meter = new UsageMeter(options.budget, options.model);
    const sink: ParserSink = {
      event: (draft, flags) => this.emit(draft, flags?.shown === true),
      delta: (text) => this.output.text(this.renderer.delta(text)),
      usage: (update) => this.onUsage(update),
      control: (request) => this.output.control?.(request),
    };
    this.parser = new parsers[options.format]({
      sink,
      resumeSessionId: options.resumeSessionId,
      model: options.model,
      threadTotals: options.threadTotals,
    });
  }

  /** The CLI gave its final event. */
  get hasVerdict(): boolean {
    return this.parser.verdict !== undefined;
  }

  get sessionId(): string | undefined {
    return this.parser.sessionId;
  }

  get usage(): UsageTotals {
    return this.meter.totals;
  }

  stdout(data: Buffer): void {
    if (this.ended) return;
    for (const line of this.stdoutLines.push(data)) this.onLine(line.text);
    this.noteDropped();
  }

  stderr(data: Buffer): void {
    if (this.ended) return;
    for (const line of this.stderrLines.push(data)) this.onStderr(line.text);
  }

  /** An event of the run that does not come from the stream (an approval's question and answer). */
  event(draft: TraceDraft): void {
    if (!this.ended) this.emit(draft, false);
  }

  /** The agent is stopping the run (interrupt, timeout, budget): that is the verdict, whatever the CLI says. */
  stopping(reason: StopReason): void {
    this.stopped ??= reason;
  }

  /** The process ended: flushes, decides the verdict, emits the last usage, the result and the closing line. */
  end(exit: ProcessExit, wallMs: number): RunVerdict {
    if (this.ended) throw new Error('AiRun ended twice');
    let cutMidLine = false;
    const rest = this.stdoutLines.end();
    if (rest && rest.text.trim().length > 0) {
      const value = parseObject(rest.text);
      if (value) this.parser.line(value);
      else cutMidLine = true;
    }
    const errRest = this.stderrLines.end();
    if (errRest) this.onStderr(errRest.text);
    this.noteDropped();
    this.parser.flush();
    this.ended = true;

    const verdict = this.decide(exit, cutMidLine);
    const usage = this.meter.totals;
    this.emitUsage();
    if (!verdict.ok && !this.parser.verdict && this.stderrTail.length > 0 && !this.stopped) {
      this.output.text(this.renderer.plain(this.stderrTail.slice(-STDERR_TAIL_LINES).join('\n')));
    }
    const cli = this.parser.verdict;
    const result: TraceEventOf<'result'> = {
      kind: 'result',
      at: this.now(),
      ok: verdict.ok,
      reason: verdict.reason,
      ...(verdict.message ? { message: capMessage(verdict.message) } : {}),
      ...(cli?.turns !== undefined ? { turns: cli.turns } : {}),
      durationMs: cli?.durationMs ?? Math.max(0, Math.round(wallMs)),
      ...(verdict.ok && cli?.text !== undefined ? { text: cutText(cli.text, 16 * 1024) } : {}),
    };
    this.output.trace(result);
    this.output.text(this.renderer.closing(result, usage, result.durationMs ?? 0));
    const sessionId = this.parser.sessionId;
    return {
      ok: verdict.ok,
      stopReason: verdict.reason,
      ...(verdict.message ? { message: capMessage(verdict.message) } : {}),
      ...(sessionId ? { sessionId } : {}),
      usage,
    };
  }

  private decide(exit: ProcessExit, cutMidLine: boolean): { ok: boolean; reason: StopReason; message?: string } {
    const name = this.options.cliName;
    const cli = this.parser.verdict;
    if (this.stopped) return { ok: false, reason: this.stopped, message: this.stopMessage(this.stopped) };
    const status = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.exitCode}`;
    if (cli) {
      if (cli.ok && (exit.signal || exit.exitCode !== 0)) {
        return { ok: false, reason: exit.signal ? 'crashed' : 'cli_error', message: `${name} reported success but ${status}` };
      }
      return { ok: cli.ok, reason: cli.reason, ...(cli.message ? { message: cli.message } : {}) };
    }
    if (cutMidLine) return { ok: false, reason: 'crashed', message: `${name} ${status} in the middle of a line of its output, before its final event` };
    if (exit.signal) return { ok: false, reason: 'crashed', message: `${name} ${status} before its final event` };
    const known = this.parser.exitVerdict(exit);
    if (known) return { ok: false, reason: known.reason, message: known.message };
    const hint = this.stderrTail.findLast((line) => line.trim().length > 0);
    if (exit.exitCode !== 0) {
      return { ok: false, reason: 'cli_error', message: `${name} ${status} without a final event${hint ? `: ${hint.trim()}` : ''}` };
    }
    return { ok: false, reason: 'no_result', message: `${name} exited (code 0) without its final event` };
  }

  private stopMessage(reason: StopReason): string {
    const totals = this.meter.totals;
    const { maxTokens, maxCostUsd } = this.options.budget;
    if (reason === 'budget_tokens' && maxTokens !== undefined) {
      return `stopped: ${tokenSum(totals).toLocaleString('en-US')} tokens used, over the budget of ${maxTokens.toLocaleString('en-US')}`;
    }
    if (reason === 'budget_cost' && maxCostUsd !== undefined && totals.costUsd !== null) {
      return `stopped: $${totals.costUsd.toFixed(4)} spent (${totals.costSource}), over the budget of $${maxCostUsd}`;
    }
    return REASON_TEXT[reason];
  }

  private onLine(text: string): void {
    if (text.trim().length === 0) return;
    const value = parseObject(text);
    if (!value) {
      // Not an event: a CLI's stray warning. Shown, not traced.
      this.output.text(this.renderer.plain(cutText(text, 2_000)));
      return;
    }
    this.parser.line(value);
  }

  private onStderr(text: string): void {
    this.stderrTail.push(cutText(text, 500));
    let chars = this.stderrTail.reduce((n, line) => n + line.length, 0);
    while (chars > STDERR_TAIL_CHARS && this.stderrTail.length > 1) chars -= (this.stderrTail.shift() as string).length;
    this.parser.stderrLine(text);
  }

  private emit(draft: TraceDraft, shown: boolean): void {
    const event = { ...draft, at: this.now() };
    this.output.trace(event);
    if (!shown) {
      const text = this.renderer.event(event);
      if (text.length > 0) this.output.text(text);
    }
  }

  private onUsage(update: UsageUpdate): void {
    if (!this.meter.update(update)) return;
    this.emitUsage();
    const over = this.meter.exceeded();
    if (over && !this.budgetHit && !this.stopped && !this.ended) {
      this.budgetHit = over;
      if (this.parser.verdict) {
        // The totals came with the CLI's final event (Gemini and Codex report usage only then):
        // the run is over, there is nothing left to stop. Said, not counted as a failure.
        const what = over === 'budget_tokens' ? `token budget of ${this.options.budget.maxTokens}` : `cost budget of $${this.options.budget.maxCostUsd}`;
        this.emit({ kind: 'notice', level: 'warn', message: `usage passed the ${what} by the end of the run; ${this.options.cliName} reports usage only when a run ends, so it could not be stopped earlier` }, false);
      } else {
        this.output.overBudget(over);
      }
    }
    if (this.meter.costBudgetBlind && !this.blindNoticeSent) {
      this.blindNoticeSent = true;
      this.emit({ kind: 'notice', level: 'warn', message: `the cost budget cannot be enforced: no price is known for model ${this.meter.totals.model ?? '(unknown)'}` }, false);
    }
  }

  /** A usage event when the totals changed (and always one at the end: the last one is the command's). */
  private emitUsage(): void {
    const totals = this.meter.totals;
    if (totals === this.lastUsage) return;
    this.lastUsage = totals;
    this.output.trace({ kind: 'usage', at: this.now(), ...totals, ...(totals.model ? { model: totals.model.slice(0, 128) } : {}) });
  }

  private noteDropped(): void {
    if (this.stdoutLines.droppedLines === 0) return;
    const dropped = this.stdoutLines.droppedLines;
    this.stdoutLines.droppedLines = 0;
    this.emit({ kind: 'notice', level: 'warn', message: `${dropped} line(s) of ${this.options.cliName}'s output over 64 MB were skipped` }, false);
  }
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
