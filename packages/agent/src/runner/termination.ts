import type { RunningCommand } from './runner.js';

/** How often to look whether every process of the command is gone. */
const GONE_CHECK_MS = 50;
/** After SIGKILL, how long to wait for the processes to disappear before reporting anyway
 * (a process stuck in uninterruptible I/O cannot die sooner). */
const AFTER_KILL_WAIT_MS = 2_000;

/**
 * Ends every process of a command: SIGINT now, SIGTERM after `graceMs`, SIGKILL after `graceMs`
 * more. A program that handles SIGINT gets its chance to clean up; one that ignores both (a
 * `trap '' INT TERM` script) still dies. `gone` resolves once no process of the command runs.
 */
export class Termination {
  private readonly timers: NodeJS.Timeout[] = [];
  private poll: NodeJS.Timeout | undefined;
  private resolveGone!: () => void;
  private settled = false;
  readonly gone: Promise<void>;

  constructor(
    private readonly command: RunningCommand,
    private readonly graceMs: number,
  ) {
    this.gone = new Promise((resolve) => (this.resolveGone = resolve));
  }

  start(): void {
    this.command.signalAll('SIGINT');
    this.timers.push(setTimeout(() => this.command.signalAll('SIGTERM'), this.graceMs));
    this.timers.push(setTimeout(() => this.command.signalAll('SIGKILL'), 2 * this.graceMs));
    this.timers.push(setTimeout(() => this.finish(), 2 * this.graceMs + AFTER_KILL_WAIT_MS));
    this.poll = setInterval(() => {
      if (!this.command.isAnyAlive()) this.finish();
    }, GONE_CHECK_MS);
  }

  /** Stops escalating (everything is gone, or the agent is shutting down). */
  private finish(): void {
    if (this.settled) return;
    this.settled = true;
    for (const timer of this.timers) clearTimeout(timer);
    if (this.poll !== undefined) clearInterval(this.poll);
    this.resolveGone();
  }
}
