import { Timings } from './constants.js';

/**
 * Time as a heartbeat sees it, injected: browsers and Node both have timers, but this package
 * depends on neither, and tests drive it with fake timers.
 */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface HeartbeatHooks {
  beat(sequence: number): void;
  /** Nothing at all arrived for the timeout; the monitor has stopped itself. */
  dead(silentForMs: number): void;
}

/**
 * spec "Heartbeat/Keep-Alive", for both ends that connect out (dashboard client and agent): a
 * heartbeat every interval, and a connection silent (no message of any kind) for the timeout is
 * dead; a half-open TCP connection never reports an error by itself. Receiving is noted with a
 * timestamp rather than by re-arming a timer per message, so busy output streams cost nothing here:
 * one timer per silence period, which re-arms for the time left when it fires.
 */
export class HeartbeatMonitor {
  #intervalMs: number = Timings.heartbeatIntervalMs;
  #timeoutMs: number = Timings.heartbeatTimeoutMs;
  #sequence = 0;
  #lastReceivedAt = 0;
  #beatTimer: unknown = undefined;
  #deadTimer: unknown = undefined;

  constructor(
    private readonly clock: Clock,
    private readonly hooks: HeartbeatHooks,
  ) {}

  get timeoutMs(): number {
    return this.#timeoutMs;
  }

  /** Sends heartbeats and watches for silence (with the values the server acknowledged). */
  start(intervalMs: number = Timings.heartbeatIntervalMs, timeoutMs: number = Timings.heartbeatTimeoutMs): void {
    this.watch(timeoutMs);
    this.#intervalMs = intervalMs;
    this.#scheduleBeat();
  }

  /** Watches for silence only, sending nothing (before registration, while waiting for the ack). */
  watch(timeoutMs: number): void {
    this.stop();
    this.#timeoutMs = timeoutMs;
    this.#lastReceivedAt = this.clock.now();
    this.#scheduleDeadCheck(timeoutMs);
  }

  /** Anything arrived from the other side. Cheap: called for every message. */
  received(): void {
    this.#lastReceivedAt = this.clock.now();
  }

  stop(): void {
    if (this.#beatTimer !== undefined) this.clock.clearTimeout(this.#beatTimer);
    if (this.#deadTimer !== undefined) this.clock.clearTimeout(this.#deadTimer);
    this.#beatTimer = undefined;
    this.#deadTimer = undefined;
  }

  #scheduleBeat(): void {
    this.#beatTimer = this.clock.setTimeout(() => {
      this.#beatTimer = undefined;
      this.hooks.beat(++this.#sequence);
      // The hook may have stopped (or restarted) the monitor: then it is not re-armed here.
      if (this.#beatTimer === undefined && this.#deadTimer !== undefined) this.#scheduleBeat();
    }, this.#intervalMs);
  }

  #scheduleDeadCheck(ms: number): void {
    this.#deadTimer = this.clock.setTimeout(() => {
      const silentFor = this.clock.now() - this.#lastReceivedAt;
      if (silentFor < this.#timeoutMs) {
        this.#scheduleDeadCheck(this.#timeoutMs - silentFor);
        return;
      }
      this.stop();
      this.hooks.dead(silentFor);
    }, ms);
  }
}
