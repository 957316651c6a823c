import { constants } from 'node:os';
import { spawn, type IPty } from 'node-pty';
import { ProcessFamily } from './process-family.js';
import { drainAtEndOfFile } from './pty-eof-drain.js';
import { waitsForTerminalInput } from './tty-wait.js';
import type { RunCallbacks, RunningCommand, Runner, RunResult, RunSpec } from './runner.js';

const TERMINAL_COLS = 120;
const TERMINAL_ROWS = 30;
const DEFAULT_TERM = 'xterm-256color';
/**
 * While output is paused, how often to check whether the main process ended. node-pty closes the
 * terminal 200 ms after the process exits unless the rest of its output has been read by then, so a
 * paused command must be resumed well within that window or its last output is lost.
 */
const PAUSED_EXIT_CHECK_MS = 25;
/** How often a quiet command is checked for waiting on its terminal (a prompt), and after how much quiet. */
const INPUT_WAIT_CHECK_MS = 250;
const INPUT_WAIT_QUIET_MS = 200;

const signalNames = new Map<number, string>(Object.entries(constants.signals).map(([name, number]) => [number, name]));

/** Runs `shell -c command` in a pseudo-terminal, so programs see a TTY (colours, progress bars). */
export class ShellRunner implements Runner {
  constructor(private readonly shell: string) {}

  start(spec: RunSpec, callbacks: RunCallbacks): RunningCommand {
    const pty = spawn(this.shell, ['-c', spec.command], {
      // node-pty sets TERM from `name`; an explicit TERM in the command's env wins.
      name: spec.env.TERM ?? DEFAULT_TERM,
      cols: spec.terminal?.cols ?? TERMINAL_COLS,
      rows: spec.terminal?.rows ?? TERMINAL_ROWS,
      cwd: spec.cwd,
      env: spec.env,
      // Raw bytes: the chunker decodes UTF-8 itself so it can count bytes and hold split characters.
      encoding: null,
    });
    return new PtyCommand(pty, callbacks);
  }
}

function toRunResult(exit: { exitCode: number; signal?: number }): RunResult {
  if (exit.signal) return { exitCode: null, signal: signalNames.get(exit.signal) ?? `SIG${exit.signal}` };
  return { exitCode: exit.exitCode, signal: null };
}

class PtyCommand implements RunningCommand {
  readonly pid: number;
  private readonly family: ProcessFamily;
  private paused = false;
  private muted = false;
  private exited = false;
  private exitCheck: NodeJS.Timeout | undefined;
  private lastOutputAt = performance.now();
  private waiting = false;
  private readonly waitCheck: NodeJS.Timeout | undefined;

  constructor(
    private readonly pty: IPty,
    callbacks: RunCallbacks,
  ) {
    this.pid = pty.pid;
    this.family = new ProcessFamily(pty.pid);
    // With `encoding: null` node-pty hands out Buffers, though its typings say string.
    const forward = (data: Buffer | string) => {
      this.lastOutputAt = performance.now();
      if (!this.muted) callbacks.onData(data);
    };
    pty.onData(forward);
    drainAtEndOfFile(pty, forward);
    const onWaiting = callbacks.onWaitingForInput;
    if (onWaiting) {
      // A program that prints nothing for a while may be waiting at a prompt: ask the kernel.
      this.waitCheck = setInterval(() => {
        const quiet = performance.now() - this.lastOutputAt >= INPUT_WAIT_QUIET_MS;
        const waiting = quiet && !this.exited && waitsForTerminalInput(this.pid);
        if (waiting === this.waiting) return;
        this.waiting = waiting;
        onWaiting(waiting);
      }, INPUT_WAIT_CHECK_MS);
      this.waitCheck.unref();
    }
    pty.onExit((exit) => {
      this.exited = true;
      this.stopExitCheck();
      clearInterval(this.waitCheck);
      callbacks.onExit(toRunResult(exit));
    });
  }

  write(data: string): void {
    if (!this.exited) this.pty.write(data);
  }

  resize(cols: number, rows: number): void {
    if (!this.exited) this.pty.resize(cols, rows);
  }

  signalAll(signal: NodeJS.Signals): void {
    this.family.signal(signal);
  }

  isAnyAlive(): boolean {
    return !this.exited || this.family.isAnyAlive();
  }

  pauseOutput(): void {
    if (this.paused || this.muted || this.exited) return;
    this.paused = true;
    this.pty.pause();
    this.exitCheck = setInterval(() => {
      if (!this.leaderRunning()) this.resumeOutput();
    }, PAUSED_EXIT_CHECK_MS);
  }

  resumeOutput(): void {
    this.stopExitCheck();
    if (!this.paused) return;
    this.paused = false;
    if (!this.muted) this.pty.resume();
  }

  muteOutput(): void {
    this.muted = true;
    this.stopExitCheck();
    this.pty.pause();
  }

  private leaderRunning(): boolean {
    try {
      process.kill(this.pid, 0);
      return true;
    } catch {
      return false;
    }
  }

  private stopExitCheck(): void {
    if (this.exitCheck !== undefined) clearInterval(this.exitCheck);
    this.exitCheck = undefined;
  }
}
