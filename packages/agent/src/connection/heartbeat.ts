import { performance } from 'node:perf_hooks';

/**
 * Keeps a connection honest both ways: sends a heartbeat every `intervalMs`, and declares the
 * connection dead when nothing at all arrived for `timeoutMs` (a half-open TCP connection never
 * reports an error by itself).
 */
export class Heartbeat {
  private sender: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private sequence = 0;
  private timeoutMs = 0;
  private lastReceivedAt = 0;

  constructor(
    private readonly send: (sequence: number) => void,
    private readonly onDead: (silentForMs: number) => void,
  ) {}

  /** Watches for silence only (before registration, while waiting for connection:ack). */
  watch(timeoutMs: number): void {
    this.timeoutMs = timeoutMs;
    this.received();
    this.arm(timeoutMs);
  }

  /** Sends heartbeats and watches for silence, with the server's values. */
  start(intervalMs: number, timeoutMs: number): void {
    this.stopSending();
    this.sender = setInterval(() => this.send(++this.sequence), intervalMs);
    this.watch(timeoutMs);
  }

  /** Anything arrived from the server. Cheap: called for every message. */
  received(): void {
    this.lastReceivedAt = performance.now();
  }

  stop(): void {
    this.stopSending();
    if (this.watchdog !== undefined) clearTimeout(this.watchdog);
    this.watchdog = undefined;
    this.timeoutMs = 0;
  }

  /** One timer per silence period, not per message: when it fires, it re-arms for the time left. */
  private arm(delayMs: number): void {
    if (this.watchdog !== undefined) clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => {
      const silentFor = performance.now() - this.lastReceivedAt;
      if (silentFor < this.timeoutMs) return this.arm(this.timeoutMs - silentFor);
      this.stop();
      this.onDead(Math.round(silentFor));
    }, delayMs);
  }

  private stopSending(): void {
    if (this.sender !== undefined) clearInterval(this.sender);
    this.sender = undefined;
  }
}
