import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { ClientError, ProtocolError, type AgentInfo, type CommandStatusPayload, type OnsemblClient, type QueueUpdate } from '@onsembl/client';
import { ErrorCode, Limits, Priority } from '@onsembl/protocol';
import type { ClientConfig, ClientConfigFlags } from '../../client-config.js';
import { CommandEventBuffer } from './command-events.js';
import { CommandWatch, type FinalStatus } from './command-watch.js';
import { clientAction, configFrom, withConnectionFlags } from './common.js';
import { connectClient } from './connect.js';
import { watchConnection } from './connection-watch.js';
import { CliError, ExitCode, exitCodeOf } from './exit-codes.js';
import { pickAgent } from './pick-agent.js';
import { Terminal } from './terminal.js';

interface RunFlags extends ClientConfigFlags {
  agent?: string;
  priority: Priority;
  timeout?: number;
}

function parsePriority(value: string): Priority {
  if (!(Object.values(Priority) as string[]).includes(value)) throw new InvalidArgumentError(`must be one of ${Object.values(Priority).join(', ')}`);
  return value as Priority;
}

function parseTimeout(value: string): number {
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms <= 0 || ms > Limits.timeoutMaxMs) throw new InvalidArgumentError(`must be a whole number of milliseconds, 1 to ${Limits.timeoutMaxMs}`);
  return ms;
}

export function registerRunCommand(program: Command): void {
  withConnectionFlags(
    program
      .command('run')
      .description("queue a command on an agent, stream its output, and exit with the command's exit code")
      .usage('[options] -- COMMAND...')
      .argument('<command...>', 'the command line; several words are joined with spaces (as ssh does), so quote pipes and variables meant for the agent')
      .option('--agent <name>', 'agent name or id (default: the only agent online)')
      .option('--priority <priority>', 'low | normal | high', parsePriority, Priority.normal)
      .option('--timeout <ms>', 'stop the command after this many milliseconds (exit 124)', parseTimeout)
      .passThroughOptions(),
  ).action(clientAction((words: string[], flags: RunFlags) => run(words.join(' '), flags)));
}

async function run(command: string, flags: RunFlags): Promise<number> {
  if (!command.trim()) throw new CliError(ExitCode.usage, 'no command given: onsembl run [options] -- COMMAND...');
  const config = configFrom(flags);
  let events: CommandEventBuffer | undefined;
  const connected = await connectClient(config, (client) => (events = new CommandEventBuffer(client)));
  try {
    return await new RunSession(connected.client, events as CommandEventBuffer, config, new Terminal(), connected.lastSocketError).run(command, flags);
  } finally {
    events?.close();
    await connected.close();
  }
}

/** One `onsembl run`: request, queue position, output, Ctrl-C, reconnects, and the exit code. */
class RunSession {
  #commandId: string | undefined;
  #agent: AgentInfo | undefined;
  #interrupts = 0;
  #interruptWanted = false;
  #started = false;
  #detach!: (code: number) => void;
  readonly #detached = new Promise<number>((resolve) => (this.#detach = resolve));

  constructor(
    private readonly client: OnsemblClient,
    private readonly events: CommandEventBuffer,
    private readonly config: ClientConfig,
    private readonly terminal: Terminal,
    private readonly socketError: () => string | null,
  ) {}

  async run(command: string, flags: RunFlags): Promise<number> {
    const agent = pickAgent(this.client.agents, flags.agent);
    this.#agent = agent;
    const onSigint = () => this.#onSigint();
    process.on('SIGINT', onSigint);
    const connection = watchConnection(this.client, this.config, this.terminal, this.socketError, () => this.#whatWaits());
    const offs = [
      this.client.on('connected', () => this.#interruptWanted && this.#interrupt()),
      this.client.on('queue', (update) => update.agentId === agent.id && this.#showQueue(update)),
      this.client.on('agent', (info) => info.id === agent.id && this.#onAgent(info)),
    ];
    try {
      const request = { agentId: agent.id, command, priority: flags.priority, ...(flags.timeout ? { timeoutMs: flags.timeout } : {}) };
      const commandId = await Promise.race([this.client.requestCommand(request).catch((error: unknown) => this.#requestFailed(error)), connection.failed]);
      this.#commandId = commandId;
      const watch = new CommandWatch(commandId, this.client, this.client.history, this.terminal, { status: (status) => this.#onStatus(status) });
      this.#showQueue(this.events.queueOf(agent.id));
      watch.start(this.events, false);
      if (this.#interruptWanted) this.#interrupt();
      const ended = await Promise.race([watch.final, connection.failed, this.#detached]);
      watch.stop();
      this.terminal.clearProgress();
      if (typeof ended === 'number') return ended;
      this.#reportFinal(ended);
      return exitCodeOf(ended);
    } finally {
      offs.forEach((off) => off());
      connection.stop();
      process.off('SIGINT', onSigint);
      this.terminal.clearProgress();
    }
  }

  #requestFailed(error: unknown): never {
    if (error instanceof ProtocolError && error.code === ErrorCode.AGENT_OFFLINE) {
      throw new CliError(ExitCode.agentOffline, `agent ${this.#agent?.name} (id ${this.#agent?.id}) is offline (AGENT_OFFLINE: ${error.message})`);
    }
    if (error instanceof ClientError && error.code === 'CONNECTION_LOST') {
      throw new CliError(ExitCode.unavailable, `${error.message}; the command may or may not have been queued (see: onsembl history)`);
    }
    throw error;
  }

  #whatWaits(): string {
    return this.#commandId ? `${this.#commandId} may still be running: onsembl logs ${this.#commandId} --follow` : 'the command may not have been queued';
  }

  #onSigint(): void {
    this.#interrupts++;
    const id = this.#commandId;
    if (this.#interrupts >= 2) {
      this.terminal.notice(id ? `stopped waiting for ${id}; it may still be running: onsembl logs ${id} --follow` : 'stopped');
      this.#detach(ExitCode.cancelled);
      return;
    }
    this.#interruptWanted = true;
    if (!id) {
      this.terminal.notice('interrupting the command as soon as it is queued (Ctrl-C again to stop waiting)');
      return;
    }
    this.terminal.notice(`interrupting ${id}; waiting for its final status (Ctrl-C again to stop waiting)`);
    this.#interrupt();
  }

  /** Sends the interrupt; one that could not be sent (disconnected) is sent again on the next connection. */
  #interrupt(): void {
    const id = this.#commandId;
    if (!id) return;
    this.#interruptWanted = false;
    this.client.interrupt(id).catch((error: unknown) => {
      // Finished already: its final status is on its way. No answer in time: the status still decides.
      if (error instanceof ProtocolError && error.code === ErrorCode.COMMAND_NOT_FOUND) return;
      if (error instanceof ClientError && (error.code === 'NOT_CONNECTED' || error.code === 'CONNECTION_LOST')) this.#interruptWanted = true;
    });
  }

  #onStatus(status: CommandStatusPayload): void {
    if (status.status === 'queued') return;
    this.#started = true;
    this.terminal.clearProgress();
  }

  #onAgent(info: AgentInfo): void {
    this.#agent = info;
    this.#showQueue(this.events.queueOf(info.id));
  }

  /** `onsembl: cmd-… waits in the queue of laptop: position 2 of 3`, on a terminal only. */
  #showQueue(update: QueueUpdate | undefined): void {
    const id = this.#commandId;
    const agent = this.#agent;
    // The agent's status and its queue arrive as separate events: the one that says ours runs wins.
    if (!id || !agent || this.#started || agent.currentCommandId === id) return;
    const entry = update?.queue.find((queued) => queued.commandId === id);
    if (!entry) return;
    const why = agent.status === 'offline' ? ' (agent offline)' : agent.currentCommandId ? ` (running ${agent.currentCommandId})` : '';
    this.terminal.progress(`onsembl: ${id} waits in the queue of ${agent.name}: position ${entry.position} of ${update?.queue.length}${why}`);
  }

  #reportFinal(final: FinalStatus): void {
    const detail = final.message ? `: ${final.message}` : '';
    if (final.status === 'cancelled') this.terminal.notice(`${final.commandId} was cancelled${detail}`);
    else if (final.status === 'timeout') this.terminal.notice(`${final.commandId}: ${final.message ?? 'timed out'}`);
    else if (final.status === 'failed' && !final.exitCode) {
      this.terminal.notice(final.signal ? `${final.commandId} was killed by ${final.signal}${detail}` : `${final.commandId} did not run${detail}`);
    }
  }
}
