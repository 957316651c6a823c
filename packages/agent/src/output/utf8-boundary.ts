/**
 * UTF-8 sizing of JavaScript strings. Output limits are in UTF-8 bytes (what goes on the wire),
 * while strings index UTF-16 code units, so cuts are computed here and never split a surrogate pair.
 */

/** UTF-8 length of the code unit at `index` (4 for a surrogate pair, counted on its first half). */
function unitBytes(text: string, index: number): number {
  const code = text.charCodeAt(index);
  if (code < 0x80) return 1;
  if (code < 0x800) return 2;
  if (code >= 0xd800 && code <= 0xdbff) {
    const next = text.charCodeAt(index + 1);
    if (next >= 0xdc00 && next <= 0xdfff) return 4;
  }
  // A lone surrogate is encoded as U+FFFD (3 bytes), like every other BMP code point here.
  return 3;
}

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
  let bytes = 0;
  let index = 0;
  while (index < text.length) {
    const size = unitBytes(text, index);
    if (bytes + size > maxBytes) break;
    bytes += size;
    index += size === 4 ? 2 : 1;
  }
  return index;
}
