import { Limits } from './constants.js';

/**
 * spec: "Compress if payload >10KB". The one place that decides it, for every sender. The threshold
 * is in bytes: pass the UTF-8 length of the message as sent, not a string's `length` (UTF-16 code
 * units, which undercounts any non-ASCII text). Senders ask per message because ws applies its own
 * threshold only when no_context_takeover was negotiated, and otherwise deflates everything.
 */
export function shouldCompress(payloadBytes: number): boolean {
  return payloadBytes > Limits.compressionThresholdBytes;
}
