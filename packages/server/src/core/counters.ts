import type { CommandStatus } from '@onsembl/protocol';

/** Which endpoint a socket is on. */
export const SocketRole = { dashboard: 'dashboard', agent: 'agent' } as const;
export type SocketRole = (typeof SocketRole)[keyof typeof SocketRole];

/**
 * What the server counts as it works (GET /metrics shows it). Callers count per message, per batch
 * or per flush, never per byte, and the default does nothing, so a component made without metrics
 * (a unit test) pays nothing.
 */
export interface ServerCounters {
  /** A message of `type` arrived (`invalid` for one that failed validation). */
  received(role: SocketRole, type: string): void;
  /** `count` messages of `type` were handed to sockets of `role` (a broadcast counts once per dashboard). */
  sent(role: SocketRole, type: string, count?: number): void;
  /** Bytes of message payload handed to sockets (before any compression). */
  bytesSent(role: SocketRole, bytes: number): void;
  /** Output chunks dropped for dashboards that could not keep up. */
  outputDropped(chunks: number): void;
  /** output:gap markers sent. */
  gapSent(): void;
  /** A command reached its final status; `durationMs` when it ran. */
  commandFinished(status: CommandStatus, durationMs: number | undefined): void;
  /** One store call that writes a batch (output, trace, events, audit) took this long. */
  storeWrite(call: string, seconds: number): void;
}

const nothing = (): void => undefined;

export const noCounters: ServerCounters = {
  received: nothing, sent: nothing, bytesSent: nothing, outputDropped: nothing, gapSent: nothing, commandFinished: nothing, storeWrite: nothing,
};

const TYPE_KEY = '"type":"';

/**
 * The type of a serialised envelope without parsing it: envelopes are written `{"version":..,"type":..`
 * (protocol `envelope()`, and the trace text built by hand), so the first "type" is the envelope's.
 */
export function typeOfText(text: string): string {
  const start = text.indexOf(TYPE_KEY);
  if (start < 0 || start > 64) return 'unknown';
  const from = start + TYPE_KEY.length;
  const end = text.indexOf('"', from);
  return end < 0 || end - from > 64 ? 'unknown' : text.slice(from, end);
}
