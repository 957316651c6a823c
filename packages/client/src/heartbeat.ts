import { Timings } from '@onsembl/protocol';
import { Timer, type Clock } from './clock.js';

export interface HeartbeatHooks {
  beat(sequence: number): void;
  dead(): void;
}

/**
 * spec "Heartbeat/Keep-Alive": a heartbeat every interval, and a connection that has been silent
 * (no message of any kind) for the timeout is dead. Receiving is noted with a timestamp rather than
 * by re-arming a timer per message, so busy output streams cost nothing here.
 */
export class HeartbeatMonitor {
  #intervalMs: number = Timings.heartbeatIntervalMs;
  #timeoutMs: number = Timings.heartbeatTimeoutMs;
  #sequence = 0;
  #lastReceivedAt = 0;
  readonly #beatTimer: Timer;
  readonly #deadTimer: Timer;

  constructor(
    private readonly clock: Clock,
    private readonly hooks: HeartbeatHooks,
  ) {
    this.#beatTimer = new Timer(clock);
    this.#deadTimer = new Timer(clock);
  }

  get timeoutMs(): number {
    return this.#timeoutMs;
  }

  start(intervalMs: number = Timings.heartbeatIntervalMs, timeoutMs: number = Timings.heartbeatTimeoutMs): void {
    this.stop();
    this.#intervalMs = intervalMs;
    this.#timeoutMs = timeoutMs;
    this.#lastReceivedAt = this.clock.now();
    this.#scheduleBeat();
    this.#scheduleDeadCheck(timeoutMs);
  }

  stop(): void {
    this.#beatTimer.clear();
    this.#deadTimer.clear();
  }

  received(): void {
    this.#lastReceivedAt = this.clock.now();
  }

  #scheduleBeat(): void {
    this.#beatTimer.set(this.#intervalMs, () => {
      this.hooks.beat(++this.#sequence);
      this.#scheduleBeat();
    });
  }

  #scheduleDeadCheck(ms: number): void {
    this.#deadTimer.set(ms, () => {
      const silentFor = this.clock.now() - this.#lastReceivedAt;
      if (silentFor >= this.#timeoutMs) {
        this.stop();
        this.hooks.dead();
        return;
      }
      this.#scheduleDeadCheck(this.#timeoutMs - silentFor);
    });
  }
}
