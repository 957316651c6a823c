/**
 * How a command is run, per agent type. The agent core only sees this interface: it feeds the
 * output to the batcher, escalates interrupts through `signalAll`, and applies flow control.
 */

export interface RunSpec {
  commandId: string;
  command: string;
  /** Working directory (already checked to exist). */
  cwd: string;
  /** Complete environment of the child (the agent builds it; the runner adds nothing secret). */
  env: Record<string, string>;
}

export interface RunResult {
  /** Exit status, or null when a signal ended the process. */
  exitCode: number | null;
  /** Name of the signal that ended the process (e.g. 'SIGINT'), or null. */
  signal: string | null;
}

export interface RunCallbacks {
  /** Raw output bytes (or text) in the order the command wrote them. */
  onData(data: Buffer | string): void;
  /** The command's main process ended and all output it left readable was delivered. Called once. */
  onExit(result: RunResult): void;
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
}

export interface Runner {
  /** Starts the command; throws if it cannot be started. */
  start(spec: RunSpec, callbacks: RunCallbacks): RunningCommand;
}
