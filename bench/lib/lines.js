// @ts-check
// Timestamped lines for the latency scenario: `@<ms since epoch, 3 decimals> <padding>`. The writer
// (an agent's command, or the baseline producer) stamps each line as it writes it; a dashboard
// subtracts the stamp from the moment the line's end arrives.

/** Padding that makes a line about as long as a typical log line. */
const PAD = 'INFO  build: compiled src/module/file.ts in 12 ms'.padEnd(60, '.');

/** @param {number} t  the stamp, ms since the epoch */
export function stampedLine(t) {
  return `@${t.toFixed(3)} ${PAD}\n`;
}

/**
 * Splits received text into complete lines (keeping a partial one for the next call) and reports
 * the latency of each stamped line. `carry` is per connection: { rest: '' }.
 * @param {string} text
 * @param {{ rest: string }} carry
 * @param {number} receivedAt
 * @param {number[]} out  latencies are pushed here
 */
export function latenciesOf(text, carry, receivedAt, out) {
  const all = carry.rest + text;
  let start = 0;
  for (;;) {
    const end = all.indexOf('\n', start);
    if (end < 0) break;
    const at = all.indexOf('@', start);
    if (at >= 0 && at < end) {
      const stamp = Number.parseFloat(all.slice(at + 1, all.indexOf(' ', at)));
      if (Number.isFinite(stamp)) out.push(receivedAt - stamp);
    }
    start = end + 1;
  }
  carry.rest = all.slice(start);
}
