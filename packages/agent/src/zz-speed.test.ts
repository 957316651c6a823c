import { it } from 'vitest';
import { fakeCliPath } from './test-support/fake-cli.js';
import { startTestAgent } from './test-support/test-agent.js';
import { TestServer } from './test-support/test-server.js';
it('speed', async () => {
  await using server = await TestServer.start();
  await using _t = startTestAgent(server, { type: 'claude', cli: { path: fakeCliPath('claude') } });
  const { link } = await server.nextRegistered();
  link.execute('c', 'x @stream=/tmp/long.jsonl');
  await link.waitFor('trace:event', () => true);
  const t0 = performance.now();
  const exit = await link.waitForExit('c', 60_000);
  console.log('ms', performance.now() - t0, exit.payload.lastTraceSequence, exit.payload.stopReason);
}, 60_000);
