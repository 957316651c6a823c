// @ts-check
// Output latency: a command prints 1,000 timestamped lines per second; 10 dashboards measure the
// time from the line's write to its arrival. The agent batches output for up to 50 ms, so the
// floor is about half the window at the median and the whole window at the tail; the baselines'
// producer batches the same way.
import { onsemblLatency, relayLatency } from '../lib/latency-runs.js';
import { finish } from '../lib/report.js';
import { percentile } from '../lib/stats.js';

/** @typedef {import('../lib/context.js').Context} Context */

/** @param {Context} ctx */
export async function run(ctx) {
  const options = ctx.config.latency;
  ctx.log('output latency: Onsembl');
  const o = await onsemblLatency(ctx, { ...options, name: 'latency' });
  ctx.log('output latency: ws relay');
  const w = await relayLatency('ws', options);
  ctx.log('output latency: Socket.IO relay');
  const s = await relayLatency('sio', options);
  const expected = (options.rate * options.windowMs * options.dashboards) / 1000;
  /**
   * @param {number} p
   * @param {import('../lib/report.js').Row['target']} [target]
   */
  const row = (p, target) => finish({
    key: `latency-p${p}`,
    title: `Output latency, agent write to dashboard receipt, p${p} (${options.rate} lines/s, ${options.dashboards} dashboards)`,
    unit: 'ms',
    better: 'lower',
    value: percentile(o.samples, p),
    baseline: percentile(w.samples, p),
    peer: percentile(s.samples, p),
    target,
    server: o.server,
    cores: o.cores,
    extra: { samples: o.samples.length, expectedSamples: expected, max: Math.max(...o.samples) },
    notes: o.samples.length < expected * 0.9 ? `only ${o.samples.length} of ~${expected} lines arrived` : undefined,
  });
  return [row(50), row(99, { text: '≤60 ms', check: (r) => Number(r.value) <= 60 })];
}
