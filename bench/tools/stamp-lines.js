// @ts-check
// The latency scenario's command: prints `rate` timestamped lines per second for `seconds`, each
// stamped the moment it is written. Run by the agent in its PTY: `node stamp-lines.js 1000 10`.
import { now } from '../lib/clock.js';
import { stampedLine } from '../lib/lines.js';

const rate = Number(process.argv[2] ?? 1000);
const seconds = Number(process.argv[3] ?? 10);
const start = now();
let written = 0;
const total = Math.round(rate * seconds);

function tick() {
  const due = Math.min(total, Math.floor(((now() - start) / 1000) * rate));
  // One write per line, as a program logging line by line does.
  while (written < due) {
    process.stdout.write(stampedLine(now()));
    written++;
  }
  if (written < total) setTimeout(tick, 1);
}
tick();
