#!/usr/bin/env node
// @ts-check
// Summarises a V8 .cpuprofile (from `node --cpu-prof`, e.g. `npm run bench -- --profile`): the
// functions with the most self time, and the share of time under each package or subsystem.
//   node bench/tools/profile-summary.js bench/profiles/fanout-100.cpuprofile [top=25]
import { readFileSync } from 'node:fs';

/**
 * The parts of a V8 .cpuprofile this reads.
 * @typedef {{ functionName: string, url?: string, lineNumber: number }} CallFrame
 * @typedef {{ id: number, callFrame: CallFrame, children?: number[] }} ProfileNode
 * @typedef {{ nodes: ProfileNode[], samples: number[], timeDeltas: number[] }} CpuProfile
 */

const file = process.argv[2];
const top = Number(process.argv[3] ?? 25);
if (!file) {
  console.error('usage: profile-summary.js <file.cpuprofile> [top]');
  process.exit(2);
}
/** @type {CpuProfile} */
const profile = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
/** @type {Map<number, number>} */
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

// Self time per node from the samples and their time deltas.
/** @type {Map<number, number>} */
const self = new Map();
profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const total = [...self.values()].reduce((a, b) => a + b, 0);

/**
 * Where a function lives, shortened: node:internal, ws, better-sqlite3, @onsembl/server, ...
 * @param {CallFrame} cf
 * @returns {string}
 */
function area(cf) {
  const url = cf.url ?? '';
  if (!url) return cf.functionName.startsWith('(') ? cf.functionName : '(native)';
  if (url.startsWith('node:')) return url.split('/').slice(0, 3).join('/');
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return /** @type {string} */ (pkg[1]);
  const ws = /packages\/([^/]+)\/dist\/(.*)$/.exec(url);
  if (ws) return `@onsembl/${ws[1]}/${ws[2]}`;
  return url.replace(/^file:\/\//, '');
}

/** @type {Map<string, number>} */
const byFunction = new Map();
/** @type {Map<string, number>} */
const byArea = new Map();
for (const [id, t] of self) {
  const cf = /** @type {ProfileNode} */ (nodes.get(id)).callFrame;
  const key = `${cf.functionName || '(anonymous)'}  ${area(cf)}:${cf.lineNumber + 1}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + t);
  const a = area(cf).replace(/\/[^/]*$/, (m) => (area(cf).startsWith('@onsembl') ? m : ''));
  byArea.set(a, (byArea.get(a) ?? 0) + t);
}

// Inclusive time of selected frames: the time spent in a function and everything it called.
/** @type {Map<string, number>} */
const inclusive = new Map();
for (const [id, t] of self) {
  const seen = new Set();
  for (let /** @type {number | undefined} */ cur = id; cur !== undefined; cur = parent.get(cur)) {
    const cf = /** @type {ProfileNode} */ (nodes.get(cur)).callFrame;
    const key = `${cf.functionName || '(anonymous)'}  ${area(cf)}:${cf.lineNumber + 1}`;
    if (seen.has(key)) continue;
    seen.add(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + t);
  }
}

/** @param {number} t */
const pct = (t) => `${((100 * t) / total).toFixed(1).padStart(5)} %`;
/**
 * @param {string} title
 * @param {Map<string, number>} map
 * @param {number} n
 */
const show = (title, map, n) => {
  console.log(`\n${title}`);
  for (const [k, t] of [...map].sort((a, b) => b[1] - a[1]).slice(0, n)) console.log(`  ${pct(t)}  ${k}`);
};
console.log(`${file}: ${(total / 1e6).toFixed(2)} s sampled`);
show('self time by area', byArea, 20);
show('self time by function', byFunction, top);
show('inclusive time (function and callees)', inclusive, top);
