import { statSync } from 'node:fs';
import type { ServerToAgentPayloads } from '@onsembl/protocol';
import type { Logger } from 'pino';
import type { CommandPolicy } from '../policy.js';
import type { Runner } from '../runner/runner.js';
import { AgentCommand, type CommandContext, type StopCause } from './agent-command.js';
import { commandEnvironment } from './command-environment.js';
import { RecentIds } from './recent-ids.js';

type Execute = ServerToAgentPayloads['command:execute'];
type ApprovalResponse = ServerToAgentPayloads['approval:response'];

/** How many forgotten command ids are remembered to refuse running one again. */
const FORGOTTEN_IDS_KEPT = 10_000;
/** agent:connect accepts at most this many entries in `running`. */
const MAX_REPORTED_COMMANDS = 1_000;

export interface CommandTableOptions {
  context: CommandContext;
  runner: Runner;
  policy: CommandPolicy;
  /** The agent's token, kept out of commands' environments. */
  token: string;
  /** Where commands run when the server names no directory (default: the agent's own). */
  defaultCwd?: string | undefined;
}

/**
 * Every command this agent holds, by id (the idempotency key): dispatches the server's command
 * messages to them and reports them when reconnecting.
 */
export class CommandTable {
  private readonly commands = new Map<string, AgentCommand>();
  private readonly forgotten = new RecentIds(FORGOTTEN_IDS_KEPT);
  private readonly logger: Logger;

  constructor(private readonly options: CommandTableOptions) {
    this.logger = options.context.logger;
  }

  /** For agent:connect: every command still held (running, or finished but not acknowledged). */
  summaries(): Array<AgentCommand['summary']> {
    const all = [...this.commands.values()].map((command) => command.summary);
    if (all.length > MAX_REPORTED_COMMANDS) {
      this.logger.warn({ held: all.length }, `more commands held than agent:connect can report; reporting ${MAX_REPORTED_COMMANDS}`);
    }
    return all.slice(0, MAX_REPORTED_COMMANDS);
  }

  execute(request: Execute): void {
    const { commandId } = request;
    const held = this.commands.get(commandId);
    if (held) {
      // Never run an id twice: the server evidently lacks something, so send it all again.
      this.logger.warn({ commandId }, 'command:execute for a command already held: resending its state instead');
      held.resendAll();
      return;
    }
    if (this.forgotten.has(commandId)) {
      this.logger.warn({ commandId }, 'command:execute for a command already run and acknowledged: ignored');
      return;
    }
    const command = new AgentCommand(commandId, this.options.context);
    this.commands.set(commandId, command);
    this.logger.debug({ commandId, command: request.command }, 'command received');

    const decision = this.options.policy.check(request.command);
    if (!decision.allowed) return command.reject('denied', decision.reason);
    const cwd = request.cwd ?? this.options.defaultCwd ?? process.cwd();
    const cwdProblem = directoryProblem(cwd);
    if (cwdProblem) return command.reject('error', `working directory ${cwd} ${cwdProblem}`);
    const env = commandEnvironment(process.env, request.env, this.options.token);
    const spec = {
      commandId, command: request.command, cwd, env,
      ...(request.resumeSessionId === undefined ? {} : { resumeSessionId: request.resumeSessionId }),
      ...(request.maxTokens === undefined ? {} : { maxTokens: request.maxTokens }),
      ...(request.maxCostUsd === undefined ? {} : { maxCostUsd: request.maxCostUsd }),
      ...(request.cols === undefined || request.rows === undefined ? {} : { terminal: { cols: request.cols, rows: request.rows } }),
      ...(request.approvals === true ? { approvals: true } : {}),
    };
    command.start(this.options.runner, spec, request.timeoutMs);
  }

  interrupt(commandId: string, reason: StopCause): void {
    const command = this.commands.get(commandId);
    if (!command) {
      this.logger.info({ commandId, reason }, 'command:interrupt for a command this agent does not hold: ignored');
      return;
    }
    command.stop(reason);
  }

  /** terminal:input and terminal:resize: for the command's terminal, while it runs. */
  toTerminal(commandId: string, action: { input: string } | { cols: number; rows: number }): void {
    const command = this.commands.get(commandId);
    if (!command?.running) return this.logger.debug({ commandId }, 'terminal message for a command not running: ignored');
    if ('input' in action) command.write(action.input);
    else command.resize(action.cols, action.rows);
  }

  answerApproval(answer: ApprovalResponse): void {
    const command = this.commands.get(answer.commandId);
    if (!command) return this.logger.debug({ commandId: answer.commandId, approvalId: answer.approvalId }, 'approval:response for a command not held: ignored');
    command.answerApproval(answer);
  }

  acknowledgeTrace(commandId: string, sequence: number): void {
    const command = this.commands.get(commandId);
    if (!command) return this.logger.debug({ commandId, sequence }, 'trace:ack for a command not held: ignored');
    command.acknowledgeTrace(sequence);
  }

  acknowledgeOutput(commandId: string, sequence: number): void {
    const command = this.commands.get(commandId);
    if (!command) return this.logger.debug({ commandId, sequence }, 'output:ack for a command not held: ignored');
    command.acknowledgeOutput(sequence);
  }

  /** The server has the final state: forget the command entirely. */
  acknowledgeCommand(commandId: string): void {
    const command = this.commands.get(commandId);
    if (!command) return this.logger.debug({ commandId }, 'command:ack for a command not held: ignored');
    if (!command.isFinished) {
      this.logger.warn({ commandId }, 'command:ack for a command still running: ignored (its exit will follow)');
      return;
    }
    command.dispose();
    this.commands.delete(commandId);
    this.forgotten.add(commandId);
  }

  onReady(): void {
    for (const command of this.commands.values()) command.onConnectionReady();
  }

  onDrain(): void {
    for (const command of this.commands.values()) command.onDrain();
  }

  onDisconnected(): void {
    for (const command of this.commands.values()) command.onDisconnected();
  }

  get(commandId: string): AgentCommand | undefined {
    return this.commands.get(commandId);
  }

  /** Stops every running command and waits until each has ended. */
  async stopAll(): Promise<void> {
    const running = [...this.commands.values()].filter((command) => command.running !== undefined);
    for (const command of running) command.stop('agent-stop');
    await Promise.all(running.map((command) => command.finished));
  }

  disposeAll(): void {
    for (const command of this.commands.values()) command.dispose();
    this.commands.clear();
  }
}

function directoryProblem(path: string): string | undefined {
  try {
    return statSync(path).isDirectory() ? undefined : 'is not a directory';
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be used (${(error as Error).message})`;
  }
}
