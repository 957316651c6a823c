import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import type { ClientConfigFlags } from '../../client-config.js';
import { clientAction, configFrom, withConnectionFlags } from './common.js';
import { connectClient } from './connect.js';
import { CliError, ExitCode } from './exit-codes.js';

interface StopAllFlags extends ClientConfigFlags {
  yes?: boolean;
  reason?: string;
}

export function registerStopAllCommand(program: Command): void {
  withConnectionFlags(
    program
      .command('stop-all')
      .description('emergency stop: empty every queue and interrupt every running command on every agent')
      .option('-y, --yes', 'do not ask for confirmation (required when stdin is not a terminal)')
      .option('--reason <text>', 'why, for the audit log and the other dashboards'),
  ).action(clientAction((flags: StopAllFlags) => stopAll(flags)));
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

async function stopAll(flags: StopAllFlags): Promise<number> {
  if (!flags.yes && !process.stdin.isTTY) {
    throw new CliError(ExitCode.usage, 'refusing to stop every command without confirmation: stdin is not a terminal; pass --yes');
  }
  const config = configFrom(flags);
  const connected = await connectClient(config);
  const { client } = connected;
  try {
    if (!flags.yes) {
      const agents = client.agents;
      const queued = agents.reduce((sum, agent) => sum + (agent.queueLength ?? 0), 0);
      const running = agents.filter((agent) => agent.currentCommandId).length;
      const question = `Stop everything on ${config.dashboardUrl}: cancel ${queued} queued and interrupt ${running} running command(s) on ${agents.length} agent(s)? [y/N] `;
      if (!(await confirm(question))) {
        process.stderr.write('onsembl: nothing was stopped\n');
        return ExitCode.failure;
      }
    }
    const result = await client.emergencyStop(flags.reason);
    const list = (ids: readonly string[]) => (ids.length ? `: ${ids.join(', ')}` : '');
    process.stdout.write(
      `emergency stop by ${result.requestedBy}: cancelled ${result.cancelled.length} queued${list(result.cancelled)}; ` +
        `interrupted ${result.interrupted.length} running${list(result.interrupted)}\n`,
    );
    return ExitCode.ok;
  } finally {
    await connected.close();
  }
}
