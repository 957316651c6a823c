import type { CostSource, StopReason, TokenUsage, TraceEvent } from '@onsembl/protocol';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** A trace event before the run stamps it with `at`. */
export type TraceDraft = DistributiveOmit<TraceEvent, 'at'>;

/** How usage figures of a CLI relate to the command's totals. */
export type UsageUpdate =
  /** Usage of one model call as known so far (Claude's assistant lines): replaces that call's figure. */
  | { mode: 'call'; callId: string; tokens: TokenUsage; model?: string }
  /** The run's own totals (Claude's result, Gemini's stats): replace everything before. */
  | { mode: 'final'; tokens: TokenUsage; model?: string; cost?: { usd: number | null; source: CostSource } };

/** What a format parser hands on while it reads the stream. */
export interface ParserSink {
  /** A trace event; `shown` when its text already went to the terminal as deltas. */
  event(draft: TraceDraft, options?: { shown?: boolean }): void;
  /** Assistant text to show now, arriving in pieces; its joined `message` event follows via event(). */
  delta(text: string): void;
  usage(update: UsageUpdate): void;
  /** The CLI asks something of its host and waits for the answer (Claude's `control_request`). */
  control(request: ControlRequest): void;
}

/** A control request of the CLI: `can_use_tool` asks whether a tool may run; any other is refused. */
export type ControlRequest =
  | { subtype: 'can_use_tool'; requestId: string; tool: string; input: unknown; toolUseId?: string; description?: string }
  | { subtype: 'other'; requestId: string; name: string };

/** The CLI's own word on how the run went. */
export interface CliVerdict {
  ok: boolean;
  reason: StopReason;
  message?: string;
  turns?: number;
  durationMs?: number;
  /** The final answer. */
  text?: string;
}

export interface ProcessExit {
  exitCode: number | null;
  signal: string | null;
}

/** Reads one CLI's JSON lines. Pure: no I/O, no clock beyond what the sink does. */
export interface StreamParser {
  line(value: Record<string, unknown>): void;
  /** A stderr line of the CLI (some CLIs report retries only there). */
  stderrLine(line: string): void;
  /** The stream ended: hand on whatever is still pending (joined text). */
  flush(): void;
  /** Set once the CLI gave its final event. */
  readonly verdict: CliVerdict | undefined;
  readonly sessionId: string | undefined;
  /** The model the CLI reported, else the one asked for. */
  readonly model: string | undefined;
  /** Why a CLI that gave no final event ended, from its exit status, if the format says. */
  exitVerdict(exit: ProcessExit): { reason: StopReason; message: string } | undefined;
}

export interface ParserContext {
  sink: ParserSink;
  /** The run continues this session. */
  resumeSessionId: string | undefined;
  /** The model asked for (--model). */
  model: string | undefined;
  /**
   * Codex reports running totals per thread, across runs: the last totals seen of each thread, kept
   * by the agent process so a resumed run counts only its own share.
   */
  threadTotals: Map<string, TokenUsage>;
}

export type StreamFormat = 'claude' | 'gemini' | 'codex';
