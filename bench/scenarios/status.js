// @ts-check
// Status fan-out: 1,000 dashboards; an agent connects, then disconnects, `cycles` times. For each
// event, the time from the agent's action (startAgent / agent.stop) until each dashboard has the
// agent:status. The baselines time one small status message from the producer to every consumer.
import { finish } from '../lib/report.js';
import { percentile } from '../lib/stats.js';
import { onsemblStatus, relayStatus } from '../lib/status-runs.js';

/** @typedef {import('../lib/context.js').Context} Context */

/** @param {Context} ctx */
export async function run(ctx) {
  const options = ctx.config.status;
  ctx.log(`status fan-out to ${options.dashboards}: Onsembl`);
  const o = await onsemblStatus(ctx, { ...options, name: 'status' });
  ctx.log(`status fan-out to ${options.dashboards}: ws relay`);
  const w = await relayStatus('ws', options);
  ctx.log(`status fan-out to ${options.dashboards}: Socket.IO relay`);
  const s = await relayStatus('sio', options);
  return [finish({
    key: 'status-p99',
    title: `Agent status to ${options.dashboards} dashboards, p99 from the agent's connect/disconnect`,
    unit: 'ms',
    better: 'lower',
    value: percentile(o.fromAction, 99),
    baseline: percentile(w.fromAction, 99),
    peer: percentile(s.fromAction, 99),
    target: { text: '≤100 ms', check: (r) => Number(r.value) <= 100 },
    server: o.server,
    cores: o.cores,
    extra: {
      p50: percentile(o.fromAction, 50),
      max: Math.max(...o.fromAction),
      p99FromServerEvent: percentile(o.fromServer, 99),
      samples: o.fromAction.length,
      baselineP50: percentile(w.fromAction, 50),
      peerP50: percentile(s.fromAction, 50),
    },
  })];
}
