import { InvalidArgumentError } from 'commander';

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

/** How long a shutdown may take before the process gives up on a clean one (exit 1). */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 15_000;

/**
 * Waits for SIGINT/SIGTERM/SIGHUP, then runs the cleanup once; returns a trigger for other reasons
 * to stop. A cleanup that takes longer than `timeoutMs` (a store that no longer answers) ends the
 * process with exit code 1, so a supervisor never waits on it forever.
 */
export function onShutdown(cleanup: () => Promise<void>, timeoutMs = DEFAULT_SHUTDOWN_TIMEOUT_MS): (reason: string) => void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => {
      console.error(`onsembl: shutdown after ${signal} did not finish within ${timeoutMs} ms; exiting`);
      process.exit(1);
    }, timeoutMs).unref();
    cleanup().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(`onsembl: shutdown after ${signal} failed: ${String(err)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGHUP', () => stop('SIGHUP'));
  return stop;
}
