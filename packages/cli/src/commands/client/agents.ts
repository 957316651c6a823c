import type { Command } from 'commander';
import type { AgentInfo } from '@onsembl/client';
import type { ClientConfigFlags } from '../../client-config.js';
import { clientAction, configFrom, withConnectionFlags } from './common.js';
import { historyApi, restError } from './connect.js';
import { ExitCode } from './exit-codes.js';
import { formatTable, localTime } from './table.js';

export function registerAgentsCommand(program: Command): void {
  withConnectionFlags(
    program.command('agents').description('list the agents the server knows, online or not').option('--json', 'print the agents as a JSON array'),
  ).action(
    clientAction(async (flags: ClientConfigFlags & { json?: boolean }) => {
      const config = configFrom(flags);
      const agents = await historyApi(config).agents().catch((error: unknown) => Promise.reject(restError(error, config)));
      process.stdout.write(flags.json ? `${JSON.stringify(agents, null, 2)}\n` : agentTable(agents));
      return ExitCode.ok;
    }),
  );
}

export function agentTable(agents: readonly AgentInfo[]): string {
  if (agents.length === 0) return 'No agents yet. Connect one with: onsembl agent --url URL --token-file FILE\n';
  const rows = [...agents]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((agent) => [
      agent.name, agent.id, agent.type, agent.status, String(agent.queueLength ?? 0), agent.currentCommandId ?? '-',
      agent.hostname ?? '-', localTime(agent.lastSeenAt),
    ]);
  return formatTable(['NAME', 'ID', 'TYPE', 'STATUS', 'QUEUED', 'RUNNING', 'HOST', 'LAST SEEN'], rows);
}
