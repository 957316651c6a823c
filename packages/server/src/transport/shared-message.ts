import * as ws from 'ws';
import { textFrame } from './frame-options.js';
import { countTurnBytes } from './turn.js';

/** ws's frame builder: exported by ws (engine.io uses it the same way) but absent from @types/ws. */
const { Sender } = ws as unknown as {
  Sender: { frame(data: Buffer, options: { fin: boolean; opcode: number; mask: boolean; readOnly: boolean; rsv1: boolean }): Buffer[] };
};
const TEXT_OPCODE = 1;

/**
 * One broadcast as every dashboard gets it. `bytes` is the whole WebSocket frame when the message
 * goes out uncompressed (the spec compresses only payloads over 10 KB, which terminal output is
 * cut to stay under): the same frame is then written to every dashboard's socket, instead of ws
 * building a header and two writes per dashboard (fan-out to 100: ~150,000 sends a second).
 * Larger messages are deflated per socket by ws, so for them `bytes` is the bare payload.
 */
export interface SharedMessage {
  bytes: Buffer;
  /** Where the payload starts in `bytes`: the frame header's length, 0 when not framed. */
  payloadOffset: number;
}

export const isFramed = (m: SharedMessage): boolean => m.payloadOffset > 0;
export const payloadOf = (m: SharedMessage): Buffer => (m.payloadOffset > 0 ? m.bytes.subarray(m.payloadOffset) : m.bytes);

/**
 * The Broadcaster hands the same string to every dashboard in a row, so the last one is kept:
 * each broadcast is encoded (and framed) once, not once per dashboard. Given a string, ws left
 * the UTF-8 encoding to each socket's writev (profile of fan-out to 100: writev 41 % of the
 * server's time, mostly string encoding).
 */
let lastText: string | undefined;
let last: SharedMessage = { bytes: Buffer.alloc(0), payloadOffset: 0 };

export function sharedMessage(text: string): SharedMessage {
  if (text === lastText) return last;
  const payload = Buffer.from(text, 'utf8');
  lastText = text;
  countTurnBytes(payload.length);
  if (textFrame(payload.length).compress) {
    last = { bytes: payload, payloadOffset: 0 };
  } else {
    const [header, data] = Sender.frame(payload, { fin: true, opcode: TEXT_OPCODE, mask: false, readOnly: true, rsv1: false });
    last = { bytes: Buffer.concat([header as Buffer, data as Buffer]), payloadOffset: (header as Buffer).length };
  }
  return last;
}
