import { readFileSync, statSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';

export interface TokenFlags {
  token?: string;
  tokenFile?: string;
}

/**
 * Where a command's token comes from, keeping it off command lines (every user of the machine reads
 * them in `ps`): `--token-file FILE`, or `--token`, which works but warns, else `$ONSEMBL_TOKEN`
 * (`$ONSEMBL_AGENT_TOKEN` still works for the agent). Flags win over the environment, as everywhere.
 */
export function resolveToken(
  flags: TokenFlags,
  options: { env?: NodeJS.ProcessEnv; legacyEnv?: string; warn?: (line: string) => void } = {},
): string | undefined {
  const env = options.env ?? process.env;
  const warn = options.warn ?? ((line: string) => console.error(line));
  if (flags.token !== undefined && flags.tokenFile !== undefined) {
    throw new InvalidArgumentError('give --token-file or --token, not both');
  }
  if (flags.tokenFile !== undefined) return readTokenFile(flags.tokenFile, warn);
  if (flags.token !== undefined) {
    warn('onsembl: warning: --token puts the token on the command line, where every user of this machine can read it; use --token-file FILE or $ONSEMBL_TOKEN');
    return flags.token;
  }
  const fromEnv = env.ONSEMBL_TOKEN || (options.legacyEnv ? env[options.legacyEnv] : undefined);
  return fromEnv ? fromEnv.trim() : undefined;
}

/** Reads a token file (surrounding whitespace dropped); warns when others may read it too. */
export function readTokenFile(file: string, warn: (line: string) => void): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new InvalidArgumentError(`cannot read --token-file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const token = text.trim();
  if (token === '') throw new InvalidArgumentError(`--token-file ${file} is empty`);
  if ((statSync(file).mode & 0o077) !== 0) {
    warn(`onsembl: warning: ${file} can be read by other users; make it private: chmod 600 ${file}`);
  }
  return token;
}
