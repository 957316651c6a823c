import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { AgentInfo, HistoryCommand } from '@onsembl/client';
import { CommandStatus } from '@onsembl/protocol';
import type { ClientConfigFlags } from '../../client-config.js';
import { clientAction, configFrom, withConnectionFlags } from './common.js';
import { historyApi, restError } from './connect.js';
import { ExitCode } from './exit-codes.js';
import { pickAgent } from './pick-agent.js';
import { duration, formatTable, localTime, oneLine } from './table.js';

interface HistoryFlags extends ClientConfigFlags {
  search?: string;
  status?: CommandStatus[];
  agent?: string;
  limit: number;
  json?: boolean;
}

function parseStatuses(value: string): CommandStatus[] {
  const all = Object.values(CommandStatus) as string[];
  const statuses = value.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = statuses.find((s) => !all.includes(s));
  if (bad !== undefined || statuses.length === 0) throw new InvalidArgumentError(`must be one or more of ${all.join(', ')} (comma-separated)`);
  return statuses as CommandStatus[];
}

function parseLimit(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new InvalidArgumentError('must be a whole number from 1 to 1000');
  return n;
}

export function registerHistoryCommand(program: Command): void {
  withConnectionFlags(
    program
      .command('history')
      .description('list past and current commands, newest first')
      .option('--search <words>', 'full-text search on the command text (every word must match, as a prefix)')
      .option('--status <status>', `only these statuses, comma-separated: ${Object.values(CommandStatus).join(', ')}`, parseStatuses)
      .option('--agent <name>', 'only the commands of this agent (name or id)')
      .option('--limit <n>', 'how many commands (1-1000)', parseLimit, 20)
      .option('--json', 'print the commands as a JSON array (the REST API shape)'),
  ).action(
    clientAction(async (flags: HistoryFlags) => {
      const config = configFrom(flags);
      const api = historyApi(config);
      const rest = <T>(promise: Promise<T>) => promise.catch((error: unknown) => Promise.reject(restError(error, config)));
      const agents = await rest(api.agents());
      const agentId = flags.agent === undefined ? undefined : pickAgent(agents, flags.agent).id;
      const page = await rest(api.commands({
        limit: flags.limit,
        ...(flags.search ? { q: flags.search } : {}),
        ...(flags.status ? { status: flags.status } : {}),
        ...(agentId ? { agentId } : {}),
      }));
      process.stdout.write(flags.json ? `${JSON.stringify(page.commands, null, 2)}\n` : historyTable(page.commands, agents));
      return ExitCode.ok;
    }),
  );
}

export function historyTable(commands: readonly HistoryCommand[], agents: readonly AgentInfo[]): string {
  if (commands.length === 0) return 'No commands match.\n';
  const names = new Map(agents.map((agent) => [agent.id, agent.name]));
  const exit = (c: HistoryCommand) => (typeof c.exitCode === 'number' ? String(c.exitCode) : c.signal ?? '-');
  const rows = commands.map((c) => [
    c.id, c.status, exit(c), names.get(c.agentId) ?? c.agentId, localTime(c.queuedAt), duration(c.durationMs), oneLine(c.command),
  ]);
  return formatTable(['ID', 'STATUS', 'EXIT', 'AGENT', 'QUEUED', 'DURATION', 'COMMAND'], rows);
}
