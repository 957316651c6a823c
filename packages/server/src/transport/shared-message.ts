import * as ws from 'ws';
import { textFrame } from './frame-options.js';
import { countTurnBytes, currentTurn } from './turn.js';

/** ws's frame builder: exported by ws (engine.io uses it the same way) but absent from @types/ws. */
const { Sender } = ws as unknown as {
  Sender: { frame(data: Buffer, options: { fin: boolean; opcode: number; mask: boolean; readOnly: boolean; rsv1: boolean }): Buffer[] };
};
const TEXT_OPCODE = 1;

/**
 * One message as a dashboard gets it. `bytes` is the whole WebSocket frame when the message goes
 * out uncompressed (the spec compresses only payloads over 10 KB, which terminal output is cut to
 * stay under): the same frame is then written to every dashboard's socket, instead of ws building
 * a header and two writes per dashboard for every message. Larger
 * messages are deflated per socket by ws, so for them `bytes` is the bare payload.
 */
export interface SharedMessage {
  bytes: Buffer;
  /** Where the payload starts in `bytes`: the frame header's length, 0 when not framed. */
  payloadOffset: number;
  /** For a framed broadcast: the turn it was made in and its place among that turn's broadcasts. */
  turn: number;
  /** -1 for anything that is not a framed broadcast (a reply to one dashboard, a replayed event). */
  index: number;
}

export const isFramed = (m: SharedMessage): boolean => m.payloadOffset > 0;
export const payloadOf = (m: SharedMessage): Buffer => (m.payloadOffset > 0 ? m.bytes.subarray(m.payloadOffset) : m.bytes);

/**
 * The Broadcaster hands the same string to every dashboard in a row, so the last one is kept:
 * each broadcast is encoded (and framed) once, not once per dashboard. Given a string, ws left
 * the UTF-8 encoding to each socket's writev, which redid it for every dashboard (it led the
 * server's profile of fan-out to many dashboards).
 */
let lastText: string | undefined;
let last: SharedMessage = { bytes: Buffer.alloc(0), payloadOffset: 0, turn: -1, index: -1 };

/** `broadcast`: the same text goes to every dashboard this turn, so it gets a place in the turn's run. */
export function sharedMessage(text: string, broadcast = false): SharedMessage {
  if (text === lastText) return last;
  const payload = Buffer.from(text, 'utf8');
  lastText = text;
  countTurnBytes(payload.length);
  if (textFrame(payload.length).compress) {
    last = { bytes: payload, payloadOffset: 0, turn: -1, index: -1 };
  } else {
    const [header, data] = Sender.frame(payload, { fin: true, opcode: TEXT_OPCODE, mask: false, readOnly: true, rsv1: false });
    last = { bytes: Buffer.concat([header as Buffer, data as Buffer]), payloadOffset: (header as Buffer).length, turn: -1, index: -1 };
    if (broadcast) joinRun(last);
  }
  return last;
}

/**
 * The framed broadcasts of the current turn, in order. Nearly every dashboard is sent exactly this
 * run (or its tail, if it connected during the turn), so its bytes are joined into one Buffer once
 * and that Buffer is written to each of them: one write per dashboard per turn instead of one per
 * message (each socket.write is a stream request, and a turn's many messages made a long writev
 * per dashboard).
 */
let runTurn = -1;
let run: SharedMessage[] = [];
/** Joined stretches of the run, by where they start and how many messages they hold. */
const joined = new Map<string, Buffer>();

function joinRun(message: SharedMessage): void {
  const turn = currentTurn();
  if (turn !== runTurn) startRun(turn);
  message.turn = turn;
  message.index = run.length;
  run.push(message);
}

function startRun(turn: number): void {
  runTurn = turn;
  run = [];
  joined.clear();
}

/**
 * The frames of `items` (from `from` on) as one Buffer, when they are exactly a stretch of the
 * current turn's run, as a dashboard that was sent every broadcast has them queued; else undefined
 * and the caller writes them one by one.
 */
export function joinedRun(items: ReadonlyArray<{ message: SharedMessage } | undefined>, from: number): Buffer | undefined {
  const first = items[from]?.message;
  if (!first || first.index < 0 || first.turn !== runTurn || runTurn !== currentTurn()) return undefined;
  const count = items.length - from;
  for (let k = 1; k < count; k++) {
    const m = items[from + k]?.message;
    if (!m || m.turn !== runTurn || m.index !== first.index + k) return undefined;
  }
  if (count === 1) return first.bytes;
  const key = `${first.index}+${count}`;
  let bytes = joined.get(key);
  if (!bytes) {
    bytes = Buffer.concat(run.slice(first.index, first.index + count).map((m) => m.bytes));
    joined.set(key, bytes);
  }
  return bytes;
}
