import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { DEFAULT_TOKEN_TTL_SECONDS, resolveDataDir, rotateSecret } from '@onsembl/server';

function parseSeconds(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('must be a whole number of seconds (0 = none)');
  return n;
}

export function registerSecretCommand(program: Command): void {
  const secret = program.command('secret').description('manage the JWT secret kept in the data dir');
  secret
    .command('rotate')
    .description('sign with a new secret from now on; tokens signed with the old one keep verifying for --grace seconds')
    .option('--data-dir <dir>', 'where the secret lives (default: $ONSEMBL_DATA_DIR or ./.onsembl)')
    .option('--grace <seconds>', 'how long the old secret still verifies (default: a default token lifetime)', parseSeconds, DEFAULT_TOKEN_TTL_SECONDS)
    .action((flags: { dataDir?: string; grace: number }) => {
      let until: number;
      try {
        ({ until } = rotateSecret(resolveDataDir(flags.dataDir), flags.grace * 1000));
      } catch (error) {
        throw new InvalidArgumentError((error as Error).message);
      }
      process.stdout.write([
        'Rotated the JWT secret.',
        '  New tokens (onsembl token, the server) are signed with the new secret.',
        `  Tokens signed with the old one verify until ${new Date(until).toISOString()}; issue new ones before then.`,
        '  A running server picks the new secret up within 5 seconds.',
        '',
      ].join('\n'));
    });
}
