import { CloseCode, ErrorCode, RateLimits, Timings } from '@onsembl/protocol';
import type { ResolvedServerOptions } from '../options.js';
import { SlidingWindow } from './sliding-window.js';

export type LimitVerdict =
  | { ok: true }
  | { ok: false; code: typeof ErrorCode.RATE_LIMIT; message: string; close?: number; retryAfterMs?: number };

/**
 * The spec's per-connection rate limits for one dashboard: 100 messages/s, 10 command requests per
 * minute, heartbeats no more than one per 30 s (20 % early tolerated). Excess messages are answered
 * with RATE_LIMIT; sustained abuse (RateLimits.abuseThreshold refusals within 10 s) closes with 1008.
 */
export class DashboardLimits {
  private readonly messages: SlidingWindow;
  private readonly commands: SlidingWindow;
  private readonly refusals = new SlidingWindow(RateLimits.abuseThreshold, 10_000);
  private readonly minHeartbeatGapMs: number;
  private readonly heartbeatIntervalMs: number;
  private lastHeartbeatAt = Number.NEGATIVE_INFINITY;

  constructor(options: ResolvedServerOptions) {
    this.messages = new SlidingWindow(options.messagesPerSecond, 1_000);
    this.commands = new SlidingWindow(options.commandsPerMinute, 60_000);
    this.heartbeatIntervalMs = options.heartbeatIntervalMs;
    this.minHeartbeatGapMs = options.heartbeatIntervalMs * (1 - Timings.heartbeatTolerance);
  }

  /** Every incoming frame, valid or not, counts against the message rate. */
  message(now: number): LimitVerdict {
    if (this.messages.take(now)) return { ok: true };
    return this.refuse(now, `over ${this.messages.limit} messages per second`);
  }

  /** A refused request says when the next one will be accepted, so a user is not left guessing. */
  command(now: number): LimitVerdict {
    if (this.commands.take(now)) return { ok: true };
    const retryAfterMs = this.commands.retryAfterMs(now);
    const verdict = this.refuse(now, `over ${this.commands.limit} command requests per minute; the next is allowed in ${Math.ceil(retryAfterMs / 1000)} s`);
    return verdict.ok ? verdict : { ...verdict, retryAfterMs };
  }

  heartbeat(now: number): LimitVerdict {
    if (now - this.lastHeartbeatAt >= this.minHeartbeatGapMs) {
      this.lastHeartbeatAt = now;
      return { ok: true };
    }
    return this.refuse(now, `heartbeats are limited to one per ${this.heartbeatIntervalMs / 1000} s`);
  }

  private refuse(now: number, message: string): LimitVerdict {
    const abusive = !this.refusals.take(now);
    return { ok: false, code: ErrorCode.RATE_LIMIT, message, ...(abusive ? { close: CloseCode.policyViolation } : {}) };
  }
}
