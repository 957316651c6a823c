/**
 * UTF-8 sizing of JavaScript strings. Output limits are in UTF-8 bytes (what goes on the wire),
 * while strings index UTF-16 code units, so cuts are computed here and never split a surrogate pair.
 */

const encoder = new TextEncoder();
let scratch = new Uint8Array(16 * 1024);

/** Whether a cut before `index` would separate the two halves of a surrogate pair. */
export function splitsSurrogatePair(text: string, index: number): boolean {
  if (index <= 0 || index >= text.length) return false;
  const before = text.charCodeAt(index - 1);
  const after = text.charCodeAt(index);
  return before >= 0xd800 && before <= 0xdbff && after >= 0xdc00 && after <= 0xdfff;
}

/**
 * The largest index `i` such that `text.slice(0, i)` is at most `maxBytes` UTF-8 bytes and ends on
 * a whole character. Returns 0 only when the first character alone is bigger than `maxBytes`.
 */
export function prefixLengthWithinBytes(text: string, maxBytes: number): number {
  // No UTF-16 code unit takes more than 3 UTF-8 bytes (a pair takes 4 for 2 units).
  if (text.length * 3 <= maxBytes) return text.length;
  if (scratch.length < maxBytes) scratch = new Uint8Array(maxBytes);
  // encodeInto stops before a character that does not fit, never inside one (lone surrogates count
  // as U+FFFD, 3 bytes, as on the wire). Natively, instead of a loop over every code unit: that loop
  // was the agent's largest cost while flooding (docs/performance-log.md).
  return encoder.encodeInto(text, scratch.subarray(0, maxBytes)).read;
}
