import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { AgentType } from '@onsembl/protocol';
import { checkCli, CLI_DEFINITIONS, CliCheckError, isAiAgentType, startAgent, type AiCliOptions } from '@onsembl/agent';
import { readFileSync } from 'node:fs';
import { resolveAgentToken } from '../config/token-source.js';
import { onShutdown } from './parse.js';

function parseType(value: string): AgentType {
  if (!(Object.values(AgentType) as string[]).includes(value)) {
    throw new InvalidArgumentError(`must be one of ${Object.values(AgentType).join(', ')}`);
  }
  return value as AgentType;
}

function readCa(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new InvalidArgumentError(`cannot read --ca ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

interface AgentFlags {
  url: string[];
  token?: string;
  tokenFile?: string;
  ca?: string;
  name?: string;
  type: AgentType;
  allow?: string[];
  deny?: string[];
  cwd?: string;
  model?: string;
  permissionMode?: string;
  cli?: string;
  cliArg?: string[];
}

/** claude, gemini and codex: the CLI must be there and answer --version, else one line says what to install. */
async function aiCliOptions(flags: AgentFlags): Promise<AiCliOptions | undefined> {
  const type = flags.type;
  if (!isAiAgentType(type)) {
    for (const [flag, value] of [['--model', flags.model], ['--permission-mode', flags.permissionMode], ['--cli', flags.cli], ['--cli-arg', flags.cliArg]] as const) {
      if (value !== undefined) throw new InvalidArgumentError(`${flag} applies to --type claude, gemini or codex only`);
    }
    return undefined;
  }
  const modes = CLI_DEFINITIONS[type].permissionModes;
  if (flags.permissionMode !== undefined && !modes.includes(flags.permissionMode)) {
    throw new InvalidArgumentError(`--permission-mode for ${type} must be one of ${modes.join(', ')}`);
  }
  const checked = await checkCli(type, flags.cli);
  return {
    path: checked.path,
    version: checked.version,
    ...(flags.model ? { model: flags.model } : {}),
    ...(flags.permissionMode ? { permissionMode: flags.permissionMode } : {}),
    ...(flags.cliArg ? { args: flags.cliArg } : {}),
  };
}

export function registerAgentCommand(program: Command): void {
  program
    .command('agent')
    .description('connect this machine to an Onsembl server and run the commands it sends')
    .requiredOption('--url <url>', 'server address, e.g. ws://127.0.0.1:3001; repeat it for several nodes (each reconnect tries the next)', collect)
    .option('--token-file <file>', 'file holding the agent token (default: $ONSEMBL_TOKEN_FILE, else $ONSEMBL_TOKEN)')
    .option('--token <jwt>', 'agent token on the command line: visible to every user in ps; prefer --token-file')
    .option('--ca <file>', 'PEM certificate of a private CA to trust for wss:// (default: the system CAs)')
    .option('--name <name>', 'display name (default: this host name)')
    .option('--type <type>', 'shell | claude | gemini | codex (the AI types take the command text as the prompt)', parseType, AgentType.shell)
    .option('--allow <pattern>', 'only run commands matching this glob (repeatable)', collect)
    .option('--deny <pattern>', 'never run commands matching this glob (repeatable; wins over --allow)', collect)
    .option('--cwd <dir>', 'where commands run (default: the current directory)')
    .option('--model <model>', 'AI types: the model the CLI uses')
    .option('--permission-mode <mode>', 'AI types: Claude --permission-mode, Gemini --approval-mode, Codex --sandbox')
    .option('--cli <path>', 'AI types: the CLI to run (default: claude, gemini or codex on PATH)')
    .option('--cli-arg <arg>', 'AI types: an extra argument for the CLI (repeatable)', collect)
    .action(async (flags: AgentFlags) => {
      const token = resolveAgentToken(flags);
      const ca = flags.ca === undefined ? undefined : readCa(flags.ca);
      let cli: AiCliOptions | undefined;
      try {
        cli = await aiCliOptions(flags);
      } catch (error) {
        if (!(error instanceof CliCheckError)) throw error;
        console.error(`onsembl agent: ${error.message}`);
        process.exitCode = 2;
        return;
      }
      const agent = startAgent({
        url: flags.url,
        token,
        ...(ca ? { ca } : {}),
        type: flags.type,
        ...(flags.name ? { name: flags.name } : {}),
        ...(flags.cwd ? { cwd: flags.cwd } : {}),
        ...(cli ? { cli } : {}),
        ...(flags.allow || flags.deny ? { policy: { ...(flags.allow ? { allow: flags.allow } : {}), ...(flags.deny ? { deny: flags.deny } : {}) } } : {}),
      });
      agent.on('fatal', () => {
        process.exitCode = 3;
        void agent.stop();
      });
      onShutdown(() => agent.stop());
    });
}
