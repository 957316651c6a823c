import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { DEFAULT_TOKEN_TTL_SECONDS, loadOrCreateSecret, resolveDataDir, TokenService } from '@onsembl/server';
import { Role } from '@onsembl/protocol';
import { userInfo } from 'node:os';
import { writePrivateFile } from '@onsembl/server';
import { parsePositiveInt } from './parse.js';

function parseRole(value: string): Role {
  if (value !== Role.dashboard && value !== Role.agent && value !== Role.metrics) throw new InvalidArgumentError('must be dashboard, agent or metrics');
  return value;
}

export function registerTokenCommand(program: Command): void {
  program
    .command('token')
    .description('print one signed token (HS256 JWT) for a dashboard, an agent or a metrics scraper')
    .requiredOption('--role <role>', 'dashboard | agent | metrics (GET /metrics only)', parseRole)
    .option('--name <name>', 'identity (the token subject); default: your user name')
    .option('--ttl <seconds>', 'lifetime in seconds', parsePositiveInt, DEFAULT_TOKEN_TTL_SECONDS)
    .option('--data-dir <dir>', 'where the secret lives (default: $ONSEMBL_DATA_DIR or ./.onsembl)')
    .option('--out <file>', 'write the token to this file (mode 0600) instead of printing it')
    .action(async (flags: { role: Role; name?: string; ttl: number; dataDir?: string; out?: string }) => {
      const secret = loadOrCreateSecret(resolveDataDir(flags.dataDir));
      const token = await new TokenService(secret).issue(flags.role, flags.name ?? userInfo().username, flags.ttl);
      if (flags.out !== undefined) writePrivateFile(flags.out, `${token}\n`);
      else process.stdout.write(`${token}\n`);
    });
}
