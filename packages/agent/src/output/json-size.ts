import { prefixLengthWithinBytes } from './utf8-boundary.js';

/** Bytes `text` takes on the wire inside a JSON message: UTF-8 of its JSON string, quotes excluded. */
export function jsonStringBytes(text: string): number {
  return Buffer.byteLength(JSON.stringify(text), 'utf8') - 2;
}

/** Everything JSON.stringify leaves as it is (it escapes only these, and lone surrogates). */
const PLAIN_RUNS = /[^\x00-\x1f"\\]+/g;
/** Escaped as two characters (\n, \", ...); the other control characters take six (\u0007). */
const SHORT_ESCAPES = new Set([0x08, 0x09, 0x0a, 0x0c, 0x0d, 0x22, 0x5c]);

/** How many more bytes `text` takes as a JSON string than as UTF-8. */
function escapeBytes(text: string): number {
  // Lone surrogates (rare: broken output) are escaped too; let JSON.stringify count those.
  if (!(text as unknown as { isWellFormed(): boolean }).isWellFormed()) return jsonStringBytes(text) - Buffer.byteLength(text, 'utf8');
  // One native pass keeps only the characters that get escaped (in log-like text, few of them).
  const escaped = text.replace(PLAIN_RUNS, '');
  let extra = 0;
  for (let i = 0; i < escaped.length; i++) extra += SHORT_ESCAPES.has(escaped.charCodeAt(i)) ? 1 : 5;
  return extra;
}

/** A cut this close to the limit uses the room well enough to stop refining it. */
const CLOSE_ENOUGH_BYTES = 32;

/**
 * A prefix length of `text` (ending on a whole character) that takes at most `maxBytes` as a JSON
 * string, within a few bytes of the longest. Escapes can make output much larger on the wire than
 * its UTF-8 (a colour code's ESC becomes the six bytes \u001b, so coloured output grows by a large
 * share), so cutting by UTF-8 alone let such messages cross the 10 KB compression threshold, and
 * the server then deflated them once per dashboard.
 *
 * Why not simply character by character (prefixLengthByCharacter): a JavaScript loop over every
 * character of a full chunk costs far more than an estimate from one native pass and a few
 * refinements (docs/performance-log.md).
 */
export function prefixLengthWithinJsonBytes(text: string, maxBytes: number): number {
  const longest = prefixLengthWithinBytes(text, maxBytes); // UTF-8 is a lower bound of the JSON size
  const extraOfLongest = escapeBytes(text.slice(0, longest));
  if (extraOfLongest === 0) return longest;
  // Escapes taking more than half the room (binary garbage, not logs): measure character by character.
  if (extraOfLongest * 2 > maxBytes) return prefixLengthByCharacter(text, maxBytes);
  // A shorter prefix has no more escapes, so within maxBytes - extra of UTF-8 it fits as JSON; it
  // is short by the escapes of the part left out, which is small: grow it while that is worth it.
  let cut = prefixLengthWithinBytes(text, maxBytes - extraOfLongest);
  // Half the room cannot hold the first character (a 4-byte one with very little room).
  if (cut === 0) return prefixLengthByCharacter(text, maxBytes);
  let extra = extraOfLongest - escapeBytes(text.slice(cut, longest));
  let used = Buffer.byteLength(text.slice(0, cut), 'utf8');
  let grow = Infinity;
  for (let round = 0; round < 6; round++) {
    const room = maxBytes - used - extra;
    if (room <= CLOSE_ENOUGH_BYTES) break;
    // Grow into the room at the escape density seen so far; by half as much after an overshoot
    // (escapes cluster, at the start of coloured lines for one).
    grow = Math.min(grow, Math.floor((room * used) / (used + extra)));
    const next = prefixLengthWithinBytes(text, used + grow);
    if (next <= cut) break;
    const nextExtra = extra + escapeBytes(text.slice(cut, next));
    const nextUsed = Buffer.byteLength(text.slice(0, next), 'utf8');
    if (nextUsed + nextExtra > maxBytes) {
      grow = Math.floor(grow / 2);
      continue;
    }
    [cut, used, extra] = [next, nextUsed, nextExtra];
  }
  return cut;
}

/** The exact longest prefix, one character at a time (JSON.stringify's escaping, UTF-8 sizes). */
function prefixLengthByCharacter(text: string, maxBytes: number): number {
  let bytes = 0;
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    let width = 1;
    let size: number;
    if (c < 0x20) size = SHORT_ESCAPES.has(c) ? 2 : 6;
    else if (c === 0x22 || c === 0x5c) size = 2;
    else if (c < 0x80) size = 1;
    else if (c < 0x800) size = 2;
    else if (c >= 0xd800 && c <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1))) [size, width] = [4, 2];
    else size = c >= 0xd800 && c <= 0xdfff ? 6 : 3; // a lone surrogate is escaped as \udxxx
    if (bytes + size > maxBytes) break;
    bytes += size;
    i += width;
  }
  return i;
}

const isLowSurrogate = (c: number) => c >= 0xdc00 && c <= 0xdfff;
