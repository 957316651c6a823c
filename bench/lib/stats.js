// @ts-check
// Small statistics helpers shared by the scenarios.

/**
 * The `p`th percentile (nearest rank), NaN for no values.
 * @param {readonly number[]} values
 * @param {number} p
 */
export function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return /** @type {number} */ (sorted[rank]);
}

/** @param {readonly number[]} values */
export const mean = (values) => (values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0) / values.length);
/** @param {readonly number[]} values */
export const min = (values) => (values.length === 0 ? NaN : Math.min(...values));
/**
 * The largest value (NaN for none); a loop, since a spread of 100,000s of samples overflows the stack.
 * @param {readonly number[]} values
 */
export const max = (values) => (values.length === 0 ? NaN : values.reduce((a, b) => (b > a ? b : a), -Infinity));
/** @param {readonly number[]} values */
export const sum = (values) => values.reduce((a, b) => a + b, 0);

const MB = 1024 * 1024;
/** @param {number} bytesPerSecond */
export const mbps = (bytesPerSecond) => bytesPerSecond / MB;
