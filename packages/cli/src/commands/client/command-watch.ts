import { FINAL_COMMAND_STATUSES } from '@onsembl/protocol';
import { HistoryApiError, type CommandStatusPayload, type HistoryApi, type OnsemblClient } from '@onsembl/client';
import type { CommandEventBuffer } from './command-events.js';
import { OutputFollower, type OutputSink } from './output-follower.js';

/** What ended a command: the fields its exit code and the user's notice are made from. */
export type FinalStatus = Pick<CommandStatusPayload, 'commandId' | 'status' | 'exitCode' | 'signal' | 'message' | 'durationMs'>;

export interface CommandWatchHooks {
  /** Every status of the command (queued, running, final), live. */
  status?(status: CommandStatusPayload): void;
}

const RETRY_MS = 1_000;

/** The store could not be read right now (server restarting, a proxy's 5xx): try again, do not give up. */
function transient(error: unknown): boolean {
  return error instanceof HistoryApiError && (error.status === 0 || error.status >= 500);
}

/**
 * Follows one command to its final status with its whole output written exactly once: live events
 * while the connection holds, the store for anything a reconnect could not replay. After a reset
 * (the server could not resume: a crash, a new database) the command may have finished while this
 * client was away, so its state is read back from the REST API as well.
 */
export class CommandWatch {
  readonly follower: OutputFollower;
  readonly final: Promise<FinalStatus>;
  #resolve!: (status: FinalStatus) => void;
  #reject!: (error: unknown) => void;
  #finishing = false;
  #settled = false;
  #retry: NodeJS.Timeout | undefined;
  readonly #offs: Array<() => void> = [];

  constructor(
    private readonly commandId: string,
    private readonly client: OnsemblClient,
    private readonly history: HistoryApi,
    sink: OutputSink,
    private readonly hooks: CommandWatchHooks = {},
  ) {
    this.follower = new OutputFollower(commandId, history, sink);
    this.final = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // Handled by whoever awaits it; this keeps an early failure from counting as unhandled.
    this.final.catch(() => undefined);
  }

  /** Starts following; `stored` reads what is already stored first (a command started earlier). */
  start(events: CommandEventBuffer, stored: boolean): void {
    events.follow(this.commandId, {
      output: (chunk) => this.follower.live(chunk),
      gap: () => void this.#guard(() => this.follower.catchUp()),
      status: (status) => this.#status(status),
    });
    this.#offs.push(this.client.on('reset', () => void this.#recheck()));
    if (stored) void this.#recheck();
  }

  stop(): void {
    this.#offs.forEach((off) => off());
    if (this.#retry) clearTimeout(this.#retry);
  }

  #status(status: CommandStatusPayload): void {
    if (this.#settled) return;
    this.hooks.status?.(status);
    if (FINAL_COMMAND_STATUSES.has(status.status)) void this.#guard(() => this.#finish(status, status.lastSequence));
  }

  /** Reads the command's state from the store: final there means final, whatever was missed live. */
  #recheck(): Promise<void> {
    return this.#guard(async () => {
      const command = await this.history.command(this.commandId);
      if (FINAL_COMMAND_STATUSES.has(command.status)) await this.#finish({ ...command, commandId: command.id }, command.lastSequence);
      else await this.follower.catchUp();
    });
  }

  async #finish(status: FinalStatus, lastSequence: number | undefined): Promise<void> {
    if (this.#finishing || this.#settled) return;
    this.#finishing = true;
    try {
      const last = lastSequence ?? (await this.history.command(this.commandId)).lastSequence;
      await this.follower.finish(last);
    } finally {
      this.#finishing = false;
    }
    this.#settled = true;
    this.stop();
    this.#resolve(status);
  }

  /** Runs a step against the store; a transient failure is retried (the state is read again), others end the watch. */
  async #guard(step: () => Promise<void>): Promise<void> {
    try {
      await step();
    } catch (error) {
      if (this.#settled) return;
      if (!transient(error)) {
        this.#settled = true;
        this.stop();
        this.#reject(error);
        return;
      }
      if (this.#retry) clearTimeout(this.#retry);
      this.#retry = setTimeout(() => void this.#recheck(), RETRY_MS);
    }
  }
}
