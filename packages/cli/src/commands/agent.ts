import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { AgentType } from '@onsembl/protocol';
import { startAgent } from '@onsembl/agent';
import { onShutdown } from './parse.js';

function parseType(value: string): AgentType {
  if (!(Object.values(AgentType) as string[]).includes(value)) {
    throw new InvalidArgumentError(`must be one of ${Object.values(AgentType).join(', ')}`);
  }
  return value as AgentType;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerAgentCommand(program: Command): void {
  program
    .command('agent')
    .description('connect this machine to an Onsembl server and run the commands it sends')
    .requiredOption('--url <url>', 'server address, e.g. ws://127.0.0.1:3001')
    .option('--token <jwt>', 'agent token (default: $ONSEMBL_AGENT_TOKEN)')
    .option('--name <name>', 'display name (default: this host name)')
    .option('--type <type>', 'shell | claude | gemini | codex', parseType, AgentType.shell)
    .option('--allow <pattern>', 'only run commands matching this glob (repeatable)', collect)
    .option('--deny <pattern>', 'never run commands matching this glob (repeatable; wins over --allow)', collect)
    .action((flags: { url: string; token?: string; name?: string; type: AgentType; allow?: string[]; deny?: string[] }) => {
      const token = flags.token ?? process.env.ONSEMBL_AGENT_TOKEN;
      if (!token) throw new InvalidArgumentError('--token (or $ONSEMBL_AGENT_TOKEN) is required');
      const agent = startAgent({
        url: flags.url,
        token,
        type: flags.type,
        ...(flags.name ? { name: flags.name } : {}),
        ...(flags.allow || flags.deny ? { policy: { ...(flags.allow ? { allow: flags.allow } : {}), ...(flags.deny ? { deny: flags.deny } : {}) } } : {}),
      });
      agent.on('fatal', () => {
        process.exitCode = 3;
        void agent.stop();
      });
      onShutdown(() => agent.stop());
    });
}
