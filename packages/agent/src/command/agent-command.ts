import { performance } from 'node:perf_hooks';
import { Limits, toServerFromAgent, type StopReason, type TraceEvent } from '@onsembl/protocol';
import type { Logger } from 'pino';
import { OutputBatcher } from '../output/batcher.js';
import type { MemoryBudget } from '../output/memory-budget.js';
import type { SpoolDirectory } from '../output/spool-directory.js';
import { UnackedOutput } from '../output/unacked-output.js';
import { UnackedTrace } from '../output/unacked-trace.js';
import type {
  ApprovalAnswer, ApprovalQuestion, RunningCommand, Runner, RunResult, RunSpec, RunVerdict, StopCause,
} from '../runner/runner.js';
import { Termination } from '../runner/termination.js';
import type { AgentCommandOutbox } from './command-outbox.js';
import { OutputDelivery, type ExitPayload } from './output-delivery.js';

export type { StopCause } from '../runner/runner.js';

/** The protocol's stop reason for each of the agent's own reasons to stop a run. */
const STOP_REASON: Record<StopCause, StopReason> = {
  user: 'interrupted',
  emergency: 'interrupted',
  'agent-stop': 'interrupted',
  timeout: 'timeout',
  budget_tokens: 'budget_tokens',
  budget_cost: 'budget_cost',
};

export interface CommandSettings {
  batchMs: number;
  maxChunkBytes: number;
  escapeLookback: number;
  interruptGraceMs: number;
  spoolSegmentBytes: number;
  /** Unacknowledged output, while connected, before the program is held (see OutputDelivery). */
  unackedWindowBytes: number;
}

export interface CommandContext {
  outbox: AgentCommandOutbox;
  logger: Logger;
  budget: MemoryBudget;
  spool: SpoolDirectory;
  settings: CommandSettings;
  /** An AI run reported its session (new or resumed): the agent's next prompt continues it. */
  onSession?(sessionId: string, model?: string): void;
}

/**
 * After an interrupt, output still flows this long (so a program can say why it stopped), then the
 * command is muted: the spec wants output to stop within 1 s even while the program floods.
 */
const LAST_WORDS_MS = 500;

/**
 * One command the agent holds, from `command:execute` until the server's `command:ack`: runs it
 * through a Runner, numbers its output and keeps it until acknowledged, stops it on interrupt or
 * timeout, and records how it ended. OutputDelivery puts it on the wire.
 */
export class AgentCommand {
  readonly output: UnackedOutput;
  readonly trace = new UnackedTrace();
  /** Resolves when the exit is known (not when it is delivered). */
  readonly finished: Promise<void>;
  private readonly delivery: OutputDelivery;
  private readonly logger: Logger;
  private program: RunningCommand | undefined;
  private batcher: OutputBatcher | undefined;
  private startedAt = 0;
  private stopCause: StopCause | undefined;
  private termination: Termination | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  private resolveFinished!: () => void;
  private ended: ExitPayload | undefined;
  /** Approval questions sent to the server and not answered yet; asked again on every new connection. */
  private readonly questions = new Map<string, ApprovalQuestion>();

  constructor(
    readonly id: string,
    private readonly context: CommandContext,
  ) {
    const { settings } = context;
    this.logger = context.logger.child({ commandId: id });
    this.output = new UnackedOutput({ commandId: id, budget: context.budget, spool: context.spool, spoolSegmentBytes: settings.spoolSegmentBytes });
    this.delivery = new OutputDelivery(id, this, context.outbox, settings.unackedWindowBytes, this.logger);
    this.finished = new Promise((resolve) => (this.resolveFinished = resolve));
  }

  /** How the command ended, once it has. */
  /** The program last said it waits to read its terminal (re-announced after a reconnect). */
  private waitingForInput = false;

  get exit(): ExitPayload | undefined {
    return this.ended;
  }

  /** The program, while it runs. */
  get running(): RunningCommand | undefined {
    return this.exit ? undefined : this.program;
  }

  get isFinished(): boolean {
    return this.exit !== undefined;
  }

  /** What `agent:connect` reports about this command. */
  get summary(): { commandId: string; lastSequence: number; finished: boolean; lastTraceSequence?: number } {
    const summary = { commandId: this.id, lastSequence: this.output.lastSequence, finished: this.isFinished };
    return this.trace.lastSequence > 0 ? { ...summary, lastTraceSequence: this.trace.lastSequence } : summary;
  }

  /** Ends the command without running it (policy denial, bad cwd, runner failure). */
  reject(outcome: 'denied' | 'error', message: string): void {
    this.logger.warn({ outcome, reason: message }, 'command not run');
    this.setExit({ exitCode: null, signal: null, outcome, message, durationMs: 0 });
  }

  start(runner: Runner, spec: RunSpec, timeoutMs: number | undefined): void {
    const { settings, outbox } = this.context;
    this.startedAt = performance.now();
    this.batcher = new OutputBatcher(
      { batchMs: settings.batchMs, maxBytes: settings.maxChunkBytes, escapeLookback: settings.escapeLookback },
      (data) => this.onChunk(data),
    );
    try {
      this.program = runner.start(spec, {
        onData: (data) => this.batcher?.push(data),
        onExit: (result) => {
          this.onProgramExit(result).catch((error: unknown) => this.logger.error({ err: error }, 'failed to record the exit'));
        },
        onTrace: (event) => this.onTrace(event),
        requestStop: (cause) => this.stop(cause),
        onWaitingForInput: (waiting) => {
          this.waitingForInput = waiting;
          if (outbox.ready) outbox.send(toServerFromAgent('command:waiting', { commandId: this.id, waiting }));
        },
        requestApproval: (question) => this.ask(question),
      });
    } catch (error) {
      this.reject('error', `could not start the command: ${(error as Error).message}`);
      return;
    }
    this.logger.info({ pid: this.program.pid, timeoutMs }, 'command started');
    if (outbox.ready) outbox.send(toServerFromAgent('command:started', { commandId: this.id, pid: this.program.pid }));
    if (timeoutMs !== undefined) this.timers.push(setTimeout(() => this.stop('timeout'), timeoutMs));
  }

  /** Interrupt (user, emergency stop, server-side timeout) or the agent's own timeout or shutdown. */
  stop(reason: StopCause): void {
    const program = this.running;
    if (!program || this.termination) {
      this.logger.debug({ reason }, 'stop ignored: command not running or already stopping');
      return;
    }
    this.logger.info({ reason }, 'stopping command');
    this.stopCause = reason;
    program.stopping?.(reason);
    this.termination = new Termination(program, this.context.settings.interruptGraceMs);
    this.termination.start();
    this.timers.push(setTimeout(() => this.mute(), Math.min(LAST_WORDS_MS, this.context.settings.interruptGraceMs)));
  }

  /** The server asked to run it again: it lacks something, so send `started` (if it ran) and all the rest. */
  resendAll(): void {
    const { outbox } = this.context;
    if (this.program && outbox.ready) outbox.send(toServerFromAgent('command:started', { commandId: this.id, pid: this.program.pid }));
    this.delivery.restart();
  }

  /**
   * A new connection is registered: if the program still runs, say so again (the `started` sent
   * before may have died with the old socket), then deliver everything not acknowledged.
   */
  onConnectionReady(): void {
    const { outbox } = this.context;
    if (this.running) outbox.send(toServerFromAgent('command:started', { commandId: this.id, pid: this.running.pid }));
    if (this.running && this.waitingForInput) outbox.send(toServerFromAgent('command:waiting', { commandId: this.id, waiting: true }));
    this.delivery.restart();
    for (const question of this.questions.values()) this.sendQuestion(question);
  }

  /** The server's decision on one of this run's approval questions. */
  answerApproval(answer: ApprovalAnswer): void {
    this.questions.delete(answer.approvalId);
    const taken = this.running?.answerApproval?.(answer) ?? false;
    if (!taken) this.logger.debug({ approvalId: answer.approvalId }, 'approval:response for a question not waiting: ignored');
    else this.logger.info({ approvalId: answer.approvalId, decision: answer.decision, reason: answer.reason, by: answer.decidedBy }, 'approval answered');
  }

  private ask(question: ApprovalQuestion): void {
    if (this.exit) return;
    this.questions.set(question.approvalId, question);
    this.logger.info({ approvalId: question.approvalId, tool: question.tool }, 'the CLI asks for approval');
    this.sendQuestion(question);
  }

  private sendQuestion(question: ApprovalQuestion): void {
    const { outbox } = this.context;
    // Not connected: asked once the next connection is registered (onConnectionReady).
    if (outbox.ready) outbox.send(toServerFromAgent('approval:request', { ...question, commandId: this.id }));
  }

  /** Keystrokes from a dashboard, for a program with a terminal (others have nowhere to put them). */
  write(data: string): void {
    const program = this.running;
    if (program?.write) program.write(data);
    else this.logger.info('terminal:input for a command without a terminal: ignored');
  }

  resize(cols: number, rows: number): void {
    this.running?.resize?.(cols, rows);
  }

  acknowledgeTrace(sequence: number): void {
    if (sequence > this.trace.lastSequence) {
      this.logger.warn({ sequence, lastSequence: this.trace.lastSequence }, 'trace:ack beyond the last sequence');
    }
    this.trace.acknowledge(sequence);
    this.delivery.applyFlowControl();
  }

  acknowledgeOutput(sequence: number): void {
    if (sequence > this.output.lastSequence) {
      this.logger.warn({ sequence, lastSequence: this.output.lastSequence }, 'output:ack beyond the last sequence');
    }
    this.output.acknowledge(sequence);
    this.delivery.applyFlowControl();
  }

  onDrain(): void {
    this.delivery.pump();
  }

  onDisconnected(): void {
    this.delivery.applyFlowControl();
  }

  /** Forgets the command: frees memory and spool files. */
  dispose(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.output.dispose();
    this.trace.dispose();
  }

  private onTrace(event: TraceEvent): void {
    if (this.exit) return;
    this.trace.append(event);
    if (event.kind === 'session') this.context.onSession?.(event.sessionId, event.model);
    this.delivery.pump();
  }

  private onChunk(data: string): void {
    try {
      this.output.append(data);
    } catch (error) {
      // Memory is full and the spool cannot be written (disk full, directory removed): the chunk
      // cannot be kept until acknowledged, so it gets no sequence rather than a hole in the stream.
      this.logger.error({ err: error, bytes: Buffer.byteLength(data) }, 'output dropped: it could not be stored');
      return;
    }
    this.delivery.pump();
  }

  private mute(): void {
    if (this.exit) return;
    // Output read so far still goes out; the runner drops anything written from now on (an AI
    // runner still adds its closing line at the exit).
    this.batcher?.flushNow();
    this.program?.muteOutput();
  }

  private async onProgramExit(result: RunResult): Promise<void> {
    // After an interrupt, report the exit only once every process of the command is gone, so that
    // an exit means "nothing of it still runs" (background children included).
    if (this.termination) await this.termination.gone;
    this.batcher?.end();
    const durationMs = Math.max(0, Math.round(performance.now() - this.startedAt));
    if (result.verdict) return this.onVerdict(result, result.verdict, durationMs);
    const cause = this.stopCause;
    const outcome = cause === undefined ? 'exited' : cause === 'timeout' ? 'timeout' : 'interrupted';
    const message = cause === 'agent-stop' ? 'the agent was stopped' : undefined;
    this.setExit({ exitCode: result.exitCode, signal: result.signal, outcome, durationMs, ...(message === undefined ? {} : { message }) });
    this.logger.info({ exitCode: result.exitCode, signal: result.signal, outcome, durationMs }, 'command ended');
  }

  /**
   * An AI run ends by its verdict: completed only when the CLI said so. An interrupt or timeout
   * keeps its outcome; any other failure is `exited` with a non-zero code (the CLI's own, or 1 when
   * it exited 0 regardless, e.g. after a budget stop), so a 1.0 server also records it as failed.
   */
  private onVerdict(result: RunResult, verdict: RunVerdict, durationMs: number): void {
    const cause = this.stopCause;
    const stopReason = cause === undefined ? verdict.stopReason : STOP_REASON[cause];
    const outcome = stopReason === 'timeout' ? 'timeout' : stopReason === 'interrupted' ? 'interrupted' : 'exited';
    const ok = cause === undefined && verdict.ok;
    const exitCode = ok ? result.exitCode : result.exitCode === 0 ? 1 : result.exitCode;
    const message = cause === 'agent-stop' ? 'the agent was stopped' : verdict.message;
    if (verdict.sessionId) this.context.onSession?.(verdict.sessionId);
    this.setExit({
      exitCode,
      signal: result.signal,
      outcome,
      durationMs,
      ...(message === undefined ? {} : { message }),
      stopReason,
      ...(verdict.sessionId ? { sessionId: verdict.sessionId } : {}),
    });
    this.logger.info({ exitCode: result.exitCode, signal: result.signal, outcome, stopReason, durationMs }, 'AI run ended');
  }

  private setExit(exit: Omit<ExitPayload, 'commandId' | 'lastSequence'>): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.questions.clear();
    const message = exit.message === undefined ? {} : { message: exit.message.slice(0, Limits.messageTextMaxChars) };
    const trace = this.trace.lastSequence > 0 ? { lastTraceSequence: this.trace.lastSequence } : {};
    this.ended = { commandId: this.id, lastSequence: this.output.lastSequence, ...exit, ...message, ...trace };
    this.resolveFinished();
    this.delivery.pump();
  }
}
