#!/usr/bin/env node
// @ts-check
// `npm run bench` (after `npm run build`): every scenario against the real Onsembl server, agents
// and dashboards in separate processes over loopback, beside a minimal `ws` relay (the practical
// limit) and a Socket.IO relay (what many peers use). Prints a table, writes bench/results.json.
//   --quick           small and short (CI smoke test, 1-2 minutes; figures not comparable)
//   --only=a,b        some scenarios: fanout, slow-dashboard, store, latency, status, connections, commands, ai-stream,
//                     scale-fanout, scale-store, scale-status (several nodes on PostgreSQL and Redis)
//   --profile         --cpu-prof the server (and fan-out agents) into bench/profiles/
//   --experiment=X    run every Onsembl server with a changed ws configuration (lib/experiments.js)
//   --fanout=100      fan-out to these dashboard counts only, without its variants (for iterating)
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { configFor } from './lib/config.js';
import { createContext } from './lib/context.js';
import { makeCorpus } from './lib/corpus.js';
import { waitForQuiet } from './lib/cpu.js';
import { EXPERIMENT_NAMES } from './lib/experiments.js';
import { setExperiment } from './lib/onsembl.js';
import { killAll } from './lib/proc.js';
import { printTable, writeResults } from './lib/report.js';
import * as aiStream from './scenarios/ai-stream.js';
import * as commands from './scenarios/commands.js';
import * as connections from './scenarios/connections.js';
import * as fanout from './scenarios/fanout.js';
import * as latency from './scenarios/latency.js';
import * as scaleFanout from './scenarios/scale-fanout.js';
import * as scaleStatus from './scenarios/scale-status.js';
import * as scaleStore from './scenarios/scale-store.js';
import * as slowDashboard from './scenarios/slow-dashboard.js';
import * as status from './scenarios/status.js';
import * as store from './scenarios/store.js';

/** @typedef {{ run: (ctx: import('./lib/context.js').Context) => Promise<import('./lib/report.js').FinishedRow[]> }} Scenario */
/**
 * In this order: the fan-out runs first, its frames and figures feed slow-dashboard and store;
 * scale-fanout's feed scale-store.
 * @type {Record<string, Scenario>}
 */
const SCENARIOS = {
  fanout, 'slow-dashboard': slowDashboard, store, latency, status, connections, commands, 'ai-stream': aiStream,
  'scale-fanout': scaleFanout, 'scale-store': scaleStore, 'scale-status': scaleStatus,
};
/** Everything stops by itself: past this the run is abandoned and every child killed. */
const DEADLINE_MS = { quick: 3 * 60_000, full: 25 * 60_000 };

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const profile = args.includes('--profile');
const onlyArg = args.find((a) => a.startsWith('--only='));
const only = onlyArg ? onlyArg.slice('--only='.length).split(',') : Object.keys(SCENARIOS);
const experimentArg = args.find((a) => a.startsWith('--experiment='));
const experiment = experimentArg?.slice('--experiment='.length);
if (experiment !== undefined && !EXPERIMENT_NAMES.includes(experiment)) {
  console.error(`unknown experiment "${experiment}"; known: ${EXPERIMENT_NAMES.join(', ')}`);
  process.exit(2);
}
setExperiment(experiment);
for (const name of only) {
  if (!SCENARIOS[name]) {
    console.error(`unknown scenario "${name}"; known: ${Object.keys(SCENARIOS).join(', ')}`);
    process.exit(2);
  }
}

const deadline = setTimeout(() => {
  console.error('bench: deadline passed, stopping every process');
  killAll();
  process.exit(1);
}, quick ? DEADLINE_MS.quick : DEADLINE_MS.full);
deadline.unref();

const config = configFor(quick);
const fanoutArg = args.find((a) => a.startsWith('--fanout='));
if (fanoutArg) {
  config.fanout = { ...config.fanout, counts: fanoutArg.slice('--fanout='.length).split(',').map(Number), noDeflateVariant: false };
}
const ctx = createContext({ quick, profile, config, corpus: makeCorpus() });

const started = Date.now();
const load = /** @type {number} */ (loadavg()[0]);
const flags = `${quick ? ' --quick' : ''}${experiment ? ` --experiment=${experiment}` : ''}`;
console.log(`onsembl bench${flags}: ${only.join(', ')} (load average ${load.toFixed(2)})`);
if (load > 1.5) console.log('  warning: the machine is busy; figures will be low and noisy (see "other cpu")');
const rows = [];
let failed = false;
for (const name of Object.keys(SCENARIOS).filter((n) => only.includes(n))) {
  console.log(`\n${name}`);
  // A full run waits for other work on the machine to settle first (a quick run does not).
  if (!quick) {
    const busy = await waitForQuiet();
    if (busy > 0.3) console.log(`  the machine stays busy (${busy.toFixed(2)} cores used by other work): figures will be low`);
  }
  const t0 = Date.now();
  try {
    rows.push(...(await /** @type {Scenario} */ (SCENARIOS[name]).run(ctx)));
  } catch (err) {
    failed = true;
    console.error(`  ${name} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  }
  console.log(`  (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}

const seconds = (Date.now() - started) / 1000;
// A quick run's counts are too small to judge a target by (500 idle connections measure mostly the
// server's fixed cost, not the cost per connection): it shows the targets without a verdict.
if (quick) for (const r of rows) r.pass = undefined;
printTable(rows, { title: `Results (${quick ? 'quick' : 'full'} run${experiment ? `, experiment ${experiment}` : ''}, ${seconds.toFixed(0)} s)` });
// An experiment or a partial run must not overwrite the full run's results.
const suffix = experiment ? `-${experiment}` : only.length < Object.keys(SCENARIOS).length ? '-partial' : quick ? '-quick' : '';
const file = fileURLToPath(new URL(`results${suffix}.json`, import.meta.url));
writeResults(file, rows, {
  date: new Date().toISOString(),
  mode: quick ? 'quick' : 'full',
  experiment: experiment ?? null,
  scenariosRun: only,
  seconds: Math.round(seconds),
  node: process.version,
  loadAverageAtStart: load,
});
if (quick) console.log('\nquick run: targets are not judged on its small counts; `npm run bench` judges them');
console.log(`\nwrote ${file}`);
killAll();
process.exit(failed ? 1 : 0);
