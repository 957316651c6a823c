import type { OutputSink } from './output-follower.js';

/**
 * This process's own stdout and stderr: the remote command's bytes go to stdout untouched (colours
 * and all); the client's notices and the queue-position line go to stderr. The position line is
 * drawn only when both are terminals, so a pipe, a file or a CI log never sees it.
 */
export class Terminal implements OutputSink {
  readonly interactive: boolean;
  #progress = false;
  #stdoutBroken = false;

  constructor(
    private readonly stdout: NodeJS.WriteStream = process.stdout,
    private readonly stderr: NodeJS.WriteStream = process.stderr,
  ) {
    this.interactive = Boolean(stdout.isTTY && stderr.isTTY);
    // `onsembl run … | head`: once the reader is gone, stop writing but keep waiting for the status.
    stdout.on('error', () => (this.#stdoutBroken = true));
  }

  write(stream: 'stdout' | 'stderr', data: string): void {
    this.clearProgress();
    if (stream === 'stderr') this.stderr.write(data);
    else if (!this.#stdoutBroken) this.stdout.write(data);
  }

  notice(message: string): void {
    this.clearProgress();
    this.stderr.write(`onsembl: ${message}\n`);
  }

  /** Replaces the one-line status on a terminal; nothing otherwise. */
  progress(text: string): void {
    if (!this.interactive) return;
    const width = Math.max(20, (this.stderr.columns || 80) - 1);
    this.stderr.write(`\r\x1b[2K${text.length > width ? `${text.slice(0, width - 1)}…` : text}`);
    this.#progress = true;
  }

  clearProgress(): void {
    if (!this.#progress) return;
    this.stderr.write('\r\x1b[2K');
    this.#progress = false;
  }
}

/** Waits until both streams have handed everything to the OS, then exits with `code`. */
export async function exitWith(code: number): Promise<never> {
  const drained = (stream: NodeJS.WriteStream) => new Promise<void>((resolve) => stream.write('', () => resolve()));
  await Promise.all([drained(process.stdout), drained(process.stderr)]);
  process.exit(code);
}
