/**
 * Where output may be cut without splitting an ANSI/ECMA-48 escape sequence, so that a terminal
 * emulator fed chunk by chunk (or a reader of one stored chunk) never sees half a sequence.
 *
 * Recognised: CSI (ESC [ … final), OSC/DCS/SOS/PM/APC strings (ESC ] P X ^ _ … up to BEL or ST),
 * nF sequences (ESC, intermediates 0x20–0x2F, final), two-character escapes (ESC 7, ESC =, …), and the
 * same introducers as 8-bit C1 code points (U+009B CSI, U+009D OSC, …), which a UTF-8 stream carries
 * as characters. CAN and SUB abort a sequence, as in xterm.
 */

const ESC = 0x1b;
const BEL = 0x07;
const CAN = 0x18;
const SUB = 0x1a;
const C1_ST = 0x9c;
const C1_CSI = 0x9b;
/** C1 introducers of control strings: DCS, SOS, OSC, PM, APC. */
const C1_STRING_INTRODUCERS = new Set([0x90, 0x98, 0x9d, 0x9e, 0x9f]);
/** Characters that, after ESC, open a control string: DCS P, SOS X, OSC ], PM ^, APC _. */
const STRING_OPENERS = new Set(['P', 'X', ']', '^', '_'].map((c) => c.charCodeAt(0)));
const CSI_OPENER = '['.charCodeAt(0);

function isIntroducer(code: number): boolean {
  return code === ESC || code === C1_CSI || C1_STRING_INTRODUCERS.has(code);
}

/** Any character `isIntroducer` accepts, as a regular expression: a native scan of a window. */
const ANY_INTRODUCER = new RegExp(
  `[${[ESC, C1_CSI, ...C1_STRING_INTRODUCERS].map((code) => `\\u${code.toString(16).padStart(4, '0')}`).join('')}]`,
);

/** Whether a CSI body starting at `from` is complete before `limit`. */
function csiEndsBy(text: string, from: number, limit: number): boolean {
  for (let i = from; i < limit; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x20 && code <= 0x3f) continue; // parameter and intermediate bytes
    return true; // a final byte (0x40–0x7E) ends it; anything else aborts it (xterm drops the sequence)
  }
  return false;
}

/** Whether a control string whose body starts at `from` is terminated before `limit`. */
function stringEndsBy(text: string, from: number, limit: number): boolean {
  for (let i = from; i < limit; i++) {
    const code = text.charCodeAt(i);
    if (code === BEL || code === C1_ST || code === CAN || code === SUB) return true;
    if (code === ESC) {
      // ESC \ (ST) ends the string, any other ESC aborts it; either way the string is over. A cut
      // between ST's two characters never gets here: the caller examines that ESC first.
      return i + 1 < limit;
    }
  }
  return false;
}

/** Whether the sequence introduced at `start` is complete within `text.slice(0, limit)`. */
function sequenceEndsBy(text: string, start: number, limit: number): boolean {
  const intro = text.charCodeAt(start);
  if (intro === C1_CSI) return csiEndsBy(text, start + 1, limit);
  if (intro !== ESC) return stringEndsBy(text, start + 1, limit);
  if (start + 1 >= limit) return false;
  const next = text.charCodeAt(start + 1);
  if (next === CSI_OPENER) return csiEndsBy(text, start + 2, limit);
  if (STRING_OPENERS.has(next)) return stringEndsBy(text, start + 2, limit);
  if (next >= 0x20 && next <= 0x2f) {
    // nF: intermediates, then one final byte.
    for (let i = start + 2; i < limit; i++) {
      const code = text.charCodeAt(i);
      if (code < 0x20 || code > 0x2f) return true;
    }
    return false;
  }
  return true; // two-character escape, or a lone ESC followed by something that is not a sequence
}

/**
 * The index closest to `cut` (and not after it) where `text` may be split outside any escape
 * sequence. Only sequences that start within `lookback` characters before `cut` are considered:
 * a longer (or never-ending, hostile) one is treated as text, so output always moves on.
 * Returns 0 when the text up to `cut` is one open sequence; the caller decides whether to wait.
 */
export function escapeSafeCut(text: string, cut: number, lookback: number): number {
  const floor = Math.max(0, cut - lookback);
  // Most output has no escape near the cut: one native scan of the window settles it (the loop
  // below, a character at a time, showed in the agent's profile while flooding).
  if (!ANY_INTRODUCER.test(text.slice(floor, cut))) return cut;
  let candidate = cut;
  for (;;) {
    let start = candidate - 1;
    while (start >= floor && !isIntroducer(text.charCodeAt(start))) start--;
    if (start < floor) return candidate;
    if (sequenceEndsBy(text, start, candidate)) return candidate;
    // The cut falls inside the sequence at `start`: cut before it instead, then check that this new
    // place is not itself inside an earlier string (the ESC of an ST belongs to its OSC/DCS).
    candidate = start;
    if (candidate === 0) return 0;
  }
}
