import { spawn, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import type { TokenUsage } from '@onsembl/protocol';
import { AiRun } from './ai/ai-run.js';
import { ApprovalRelay, type ApprovalAnswer } from './ai/approval-relay.js';
import { userTurn } from './ai/claude-control.js';
import { CLI_DEFINITIONS, type AiAgentType, type CliDefinition } from './ai/cli-definitions.js';
import { ProcessFamily } from './process-family.js';
import type { RunCallbacks, RunningCommand, Runner, RunSpec, StopCause } from './runner.js';

export interface AiCliSettings {
  type: AiAgentType;
  /** The CLI to run (default: its binary name, looked up on PATH at each start). */
  cliPath?: string | undefined;
  model?: string | undefined;
  permissionMode?: string | undefined;
  cliArgs?: readonly string[] | undefined;
}

/** After the CLI exited, how long its stdout may stay open (held by a leftover child) before it is closed. */
const STDOUT_AFTER_EXIT_MS = 2_000;

const STOP_REASONS = { user: 'interrupted', emergency: 'interrupted', 'agent-stop': 'interrupted', timeout: 'timeout', budget_tokens: 'budget_tokens', budget_cost: 'budget_cost' } as const;

/**
 * Runs an AI CLI in its headless JSON mode, the command text as the prompt: stdout is read as JSON
 * lines (pipes, never a TUI), turned into trace events and rendered as terminal text. The CLI gets
 * its own session and process group, so an interrupt reaches every process it started.
 */
export class AiCliRunner implements Runner {
  private readonly definition: CliDefinition;
  /** Codex thread totals seen by this agent process (see ParserContext.threadTotals). */
  private readonly threadTotals = new Map<string, TokenUsage>();

  constructor(private readonly settings: AiCliSettings) {
    this.definition = CLI_DEFINITIONS[settings.type];
  }

  start(spec: RunSpec, callbacks: RunCallbacks): RunningCommand {
    const def = this.definition;
    const args = def.args({
      prompt: spec.command,
      model: this.settings.model,
      permissionMode: this.settings.permissionMode,
      resumeSessionId: spec.resumeSessionId,
      cliArgs: this.settings.cliArgs ?? [],
      approvals: spec.approvals === true,
    });
    const child = spawn(this.settings.cliPath ?? def.binary, args, {
      cwd: spec.cwd,
      env: { ...spec.env, ...def.env },
      stdio: [def.stdin === 'stream-json' ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      // Its own session and process group (setsid): signals go to the group, as for the shell runner.
      detached: true,
    });
    if (child.pid === undefined) {
      // Spawning failed (ENOENT, EACCES): the error event says why, too late to throw it.
      child.on('error', () => {});
      throw new Error(`${def.binary} could not be started (${this.settings.cliPath ?? `${def.binary} on PATH`})`);
    }
    const run = new AiRun(
      {
        format: def.format,
        cliName: def.binary,
        resumeSessionId: spec.resumeSessionId,
        model: this.settings.model,
        budget: { maxTokens: spec.maxTokens, maxCostUsd: spec.maxCostUsd },
        threadTotals: this.threadTotals,
      },
      {
        trace: (event) => callbacks.onTrace?.(event),
        text: (text) => command.text(text),
        overBudget: (reason) => callbacks.requestStop?.(reason),
        control: (request) => relay.request(request),
      },
    );
    const command = new AiCliCommand(child, run, callbacks);
    const relay = new ApprovalRelay(
      {
        write: (line) => command.input(line),
        ask: (question) => callbacks.requestApproval?.(question),
        trace: (draft) => run.event(draft),
      },
      spec.approvals === true && callbacks.requestApproval !== undefined,
    );
    command.relay = relay;
    if (def.stdin === 'stream-json') command.input(userTurn(spec.command));
    return command;
  }
}

class AiCliCommand implements RunningCommand {
  readonly pid: number;
  private readonly family: ProcessFamily;
  private readonly startedAt = performance.now();
  private exitStatus: { exitCode: number | null; signal: string | null } | undefined;
  private stdoutDone = false;
  private stderrDone = false;
  private finished = false;
  private muted = false;
  private paused = false;
  private closeTimer: NodeJS.Timeout | undefined;
  private inputEnded = false;
  /** Answers the CLI's approval questions (set right after construction). */
  relay: ApprovalRelay | undefined;

  constructor(
    private readonly child: ChildProcess,
    private readonly run: AiRun,
    private readonly callbacks: RunCallbacks,
  ) {
    this.pid = child.pid as number;
    this.family = new ProcessFamily(this.pid);
    const { stdout, stderr } = child as ChildProcess & { stdout: NodeJS.ReadableStream; stderr: NodeJS.ReadableStream };
    stdout.on('data', (data: Buffer) => {
      run.stdout(data);
      // Claude waits for the next user turn after its result: the run is over, so stdin closes.
      if (run.hasVerdict) this.endInput();
    });
    stderr.on('data', (data: Buffer) => run.stderr(data));
    const ended = (which: 'stdout' | 'stderr') => () => {
      if (which === 'stdout') this.stdoutDone = true;
      else this.stderrDone = true;
      this.maybeFinish();
    };
    stdout.once('close', ended('stdout'));
    stderr.once('close', ended('stderr'));
    child.on('error', () => {
      // Reported through the exit; nothing else to do.
    });
    // A CLI that exits while an answer is being written: EPIPE, which the exit explains.
    child.stdin?.on('error', () => undefined);
    child.once('exit', (code, signal) => {
      this.exitStatus = { exitCode: code, signal: signal ?? null };
      this.relay?.close();
      this.endInput();
      // Whatever is still in the pipe is read now, held or not: the process is gone.
      this.resumeOutput();
      this.closeTimer = setTimeout(() => {
        // A child of the CLI kept the pipes open: stop waiting for them.
        (stdout as unknown as { destroy(): void }).destroy();
        (stderr as unknown as { destroy(): void }).destroy();
      }, STDOUT_AFTER_EXIT_MS);
      this.maybeFinish();
    });
  }

  /** A line to the CLI's stdin (stream-json mode), while it is open. */
  input(line: string): void {
    const stdin = this.child.stdin;
    if (!stdin || this.inputEnded || stdin.destroyed) return;
    stdin.write(line);
  }

  /** No more input: the CLI finishes what it does and exits. */
  endInput(): void {
    if (this.inputEnded) return;
    this.inputEnded = true;
    this.relay?.close();
    this.child.stdin?.end();
  }

  answerApproval(answer: ApprovalAnswer): boolean {
    return this.relay?.answer(answer) ?? false;
  }

  /** Terminal text from the run (dropped once muted, except what the run says at its end). */
  text(text: string): void {
    if (text.length === 0 || (this.muted && !this.exitStatus)) return;
    this.callbacks.onData(text);
  }

  signalAll(signal: NodeJS.Signals): void {
    this.family.signal(signal);
  }

  isAnyAlive(): boolean {
    return this.exitStatus === undefined || this.family.isAnyAlive();
  }

  stopping(cause: StopCause): void {
    this.run.stopping(STOP_REASONS[cause]);
    // Questions still waiting are not answered now; closing stdin lets the CLI end with the signals.
    this.endInput();
  }

  pauseOutput(): void {
    if (this.paused || this.exitStatus) return;
    this.paused = true;
    this.child.stdout?.pause();
  }

  resumeOutput(): void {
    if (!this.paused) return;
    this.paused = false;
    this.child.stdout?.resume();
  }

  muteOutput(): void {
    // Still read (the verdict is in the stream), but show nothing more until the closing line.
    this.muted = true;
  }

  private maybeFinish(): void {
    if (this.finished || !this.exitStatus || !this.stdoutDone || !this.stderrDone) return;
    this.finished = true;
    if (this.closeTimer !== undefined) clearTimeout(this.closeTimer);
    const verdict = this.run.end(this.exitStatus, performance.now() - this.startedAt);
    this.callbacks.onExit({ ...this.exitStatus, verdict });
  }
}
