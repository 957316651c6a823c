// @ts-check
// The table printed at the end of a run and bench/results.json.
import { writeFileSync } from 'node:fs';

const MB = 1024 * 1024;

/**
 * A row as a scenario makes it: Onsembl's `value` beside the ws relay (`baseline`) and Socket.IO
 * (`peer`), an optional target, and what the server, the cores and the run said about it.
 * @typedef {object} Row
 * @property {string} key
 * @property {string} title
 * @property {string} unit
 * @property {'higher' | 'lower'} better
 * @property {number} [digits]
 * @property {number | undefined} value
 * @property {number | undefined} [baseline]
 * @property {number | undefined} [peer]
 * @property {{ text: string, check: (row: FinishedRow) => boolean }} [target]
 * @property {{ cpu?: number, rssStart?: number, rssEnd?: number } & Record<string, unknown>} [server]
 * @property {Record<string, number>} [cores]
 * @property {Record<string, unknown>} [extra]
 * @property {string} [notes]
 */
/**
 * A row with its ratios and verdict (`pass` is undefined without a target, or in a quick run).
 * @typedef {Row & { ratio: number | undefined, peerRatio: number | undefined, pass: boolean | undefined }} FinishedRow
 */

/**
 * @param {number | string | null | undefined} value
 * @param {number} [digits]
 */
function fmt(value, digits = 1) {
  if (value === undefined || value === null || Number.isNaN(value)) return '-';
  if (typeof value === 'string') return value;
  return value.toFixed(digits);
}

/**
 * value / other, for the ratio columns and results.json.
 * @param {number | undefined} value
 * @param {number | null | undefined} other
 */
export function ratio(value, other) {
  return value === undefined || other === undefined || other === null || !(other > 0) ? undefined : value / other;
}

/**
 * Adds ratios and the verdict to a row as scenarios produce it.
 * @param {Row} row
 * @returns {FinishedRow}
 */
export function finish(row) {
  /** @type {FinishedRow} */
  const out = { ...row, ratio: ratio(row.value, row.baseline), peerRatio: ratio(row.value, row.peer), pass: undefined };
  out.pass = row.target ? Boolean(row.target.check(out)) : undefined;
  return out;
}

/**
 * @param {FinishedRow[]} rows
 * @param {{ title: string }} options
 */
export function printTable(rows, { title }) {
  const header = ['scenario', 'unit', 'Onsembl', 'ws relay', 'Socket.IO', '÷ws', '÷sio', 'target', 'met', 'srv cores', 'srv RSS MB', 'other cpu'];
  const lines = rows.map((r) => [
    r.key,
    r.unit,
    fmt(r.value, r.digits),
    fmt(r.baseline, r.digits),
    fmt(r.peer, r.digits),
    fmt(r.ratio, 2),
    fmt(r.peerRatio, 2),
    r.target?.text ?? '',
    r.pass === undefined ? '' : r.pass ? 'yes' : 'NO',
    // The /proc meter over the whole window (threads included); the server's own figure covers only
    // the time since its previous stats call, which the RSS sampling makes as short as a few ms.
    fmt(r.cores?.server ?? r.server?.cpu, 2),
    r.server?.rssStart ? `${fmt(r.server.rssStart / MB, 0)}→${fmt(Number(r.server.rssEnd) / MB, 0)}` : '',
    fmt(r.cores?.other, 2),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => String(l[i]).length)));
  /** @param {Array<string | number>} cells */
  const line = (cells) => cells.map((c, i) => String(c).padEnd(/** @type {number} */ (widths[i]))).join('  ').trimEnd();
  console.log(`\n${title}\n`);
  console.log(line(header));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const l of lines) console.log(line(l));
  for (const r of rows) if (r.notes) console.log(`  ${r.key}: ${r.notes}`);
}

/**
 * bench/results.json: {scenario: {value, unit, baseline, peer, ratio, peerRatio, ...}}, plus `_meta`
 * (date, mode, machine load) so a file can be told apart from another run's.
 * @param {string} file
 * @param {FinishedRow[]} rows
 * @param {Record<string, unknown>} meta
 */
export function writeResults(file, rows, meta) {
  const scenarios = Object.fromEntries(rows.map((r) => [r.key, {
    title: r.title,
    value: r.value ?? null,
    unit: r.unit,
    baseline: r.baseline ?? null,
    peer: r.peer ?? null,
    ratio: r.ratio ?? null,
    peerRatio: r.peerRatio ?? null,
    better: r.better,
    target: r.target?.text ?? null,
    pass: r.pass ?? null,
    ...(r.extra ? { extra: r.extra } : {}),
    ...(r.server ? { server: r.server } : {}),
    ...(r.cores ? { cores: r.cores } : {}),
    ...(r.notes ? { notes: r.notes } : {}),
  }]));
  writeFileSync(file, `${JSON.stringify({ ...scenarios, _meta: meta }, null, 2)}\n`);
}
