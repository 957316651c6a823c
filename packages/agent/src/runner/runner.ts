import type { StopReason, TraceEvent, UsageTotals } from '@onsembl/protocol';
import type { ApprovalAnswer, ApprovalQuestion } from './ai/approval-relay.js';

export type { ApprovalAnswer, ApprovalQuestion } from './ai/approval-relay.js';

/**
 * How a command is run, per agent type. The agent core only sees this interface: it feeds the
 * output to the batcher, escalates interrupts through `signalAll`, and applies flow control.
 * Runners of AI CLIs also hand on trace events and their verdict (docs/agents.md).
 */

export interface RunSpec {
  commandId: string;
  command: string;
  /** Working directory (already checked to exist). */
  cwd: string;
  /** Complete environment of the child (the agent builds it; the runner adds nothing secret). */
  env: Record<string, string>;
  /** AI runs: the session to continue (absent: a new one). */
  resumeSessionId?: string | undefined;
  /** AI runs: budgets; when usage passes one the runner asks to stop (`requestStop`). */
  maxTokens?: number | undefined;
  maxCostUsd?: number | undefined;
  /** The requesting dashboard's terminal size, for a runner with a terminal (default: the runner's own). */
  terminal?: { cols: number; rows: number } | undefined;
  /** AI runs: the server relays approval questions (command:execute `approvals`), so the CLI may ask. */
  approvals?: boolean | undefined;
}

/** An AI run's own account of how it ended. */
export interface RunVerdict {
  ok: boolean;
  stopReason: StopReason;
  message?: string;
  sessionId?: string;
  usage: UsageTotals;
}

export interface RunResult {
  /** Exit status, or null when a signal ended the process. */
  exitCode: number | null;
  /** Name of the signal that ended the process (e.g. 'SIGINT'), or null. */
  signal: string | null;
  /** AI runs: the verdict, which decides the outcome rather than the exit code alone. */
  verdict?: RunVerdict;
}

/** Why the agent stops a run (its own reasons and the server's). */
export type StopCause = 'user' | 'timeout' | 'emergency' | 'agent-stop' | 'budget_tokens' | 'budget_cost';

export interface RunCallbacks {
  /** Raw output bytes (or text) in the order the command wrote them. */
  onData(data: Buffer | string): void;
  /** The command's main process ended and all output it left readable was delivered. Called once. */
  onExit(result: RunResult): void;
  /** AI runs: one structured event, in order. */
  onTrace?(event: TraceEvent): void;
  /** AI runs: usage passed a budget; the agent stops the run as for an interrupt. */
  requestStop?(cause: Extract<StopCause, 'budget_tokens' | 'budget_cost'>): void;
  /** Runners with a terminal: the program started (true) or stopped (false) waiting to read it. */
  onWaitingForInput?: (waiting: boolean) => void;
  /** AI runs: the CLI asks whether it may run a tool; the answer comes through `answerApproval`. */
  requestApproval?(question: ApprovalQuestion): void;
}

export interface RunningCommand {
  readonly pid: number;
  /** Sends `signal` to every process of the command: its process group and known descendants. */
  signalAll(signal: NodeJS.Signals): void;
  /** Whether any process of the command still runs (zombies count as ended). */
  isAnyAlive(): boolean;
  /** Flow control: stop reading output for now (the writer blocks, as on a real terminal). */
  pauseOutput(): void;
  resumeOutput(): void;
  /** Stop reading for good and drop whatever is still written (after an interrupt). */
  muteOutput(): void;
  /** Told before the signals of a stop, so a runner can say why in its verdict. */
  stopping?(cause: StopCause): void;
  /** Runners with a terminal: keystrokes from a dashboard, and its new size. */
  write?(data: string): void;
  resize?(cols: number, rows: number): void;
  /** AI runs: the server's decision on a question; false when the run does not wait for it. */
  answerApproval?(answer: ApprovalAnswer): boolean;
}

export interface Runner {
  /** Starts the command; throws if it cannot be started. */
  start(spec: RunSpec, callbacks: RunCallbacks): RunningCommand;
}
