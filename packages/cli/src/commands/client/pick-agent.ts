import type { AgentInfo } from '@onsembl/client';
import { CliError, ExitCode } from './exit-codes.js';

const isOnline = (agent: AgentInfo) => agent.status !== 'offline';
const describe = (agent: AgentInfo) => `  ${agent.name} (id ${agent.id}, ${agent.type}, ${agent.status})`;
const listing = (agents: readonly AgentInfo[]) => (agents.length ? agents.map(describe).join('\n') : '  (none)');

/**
 * The agent a command goes to: `wanted` names it by id or by name; without it, the one agent that
 * is online. Anything else is refused with the agents there are, so the user can pick.
 */
export function pickAgent(agents: readonly AgentInfo[], wanted: string | undefined): AgentInfo {
  if (wanted !== undefined) {
    const byId = agents.find((agent) => agent.id === wanted);
    if (byId) return byId;
    const byName = agents.filter((agent) => agent.name === wanted);
    if (byName.length === 1) return byName[0] as AgentInfo;
    const online = byName.filter(isOnline);
    if (online.length === 1) return online[0] as AgentInfo;
    if (byName.length > 1) {
      throw new CliError(ExitCode.usage, `several agents are named "${wanted}"; pick one by id with --agent:\n${listing(byName)}`);
    }
    throw new CliError(ExitCode.agentOffline, `no agent "${wanted}" is known to the server; agents:\n${listing(agents)}`);
  }
  const online = agents.filter(isOnline);
  if (online.length === 1) return online[0] as AgentInfo;
  if (online.length === 0) throw new CliError(ExitCode.agentOffline, `no agent is online; agents:\n${listing(agents)}`);
  throw new CliError(ExitCode.usage, `${online.length} agents are online; pick one with --agent NAME:\n${listing(online)}`);
}
