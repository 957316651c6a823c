import { resolve } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { ClientConfigError, readTokenFile } from '../client-config.js';

export interface TokenFlags {
  token?: string;
  tokenFile?: string;
}

/**
 * Where the agent's token comes from, kept off command lines (every user of the machine reads them
 * in `ps`), in the terminal client's order: `--token-file FILE`, or `--token`, which works but warns,
 * else `$ONSEMBL_TOKEN_FILE`, else `$ONSEMBL_TOKEN` (`$ONSEMBL_AGENT_TOKEN` still works). Flags win
 * over the environment, as everywhere.
 */
export function resolveAgentToken(
  flags: TokenFlags,
  env: NodeJS.ProcessEnv = process.env,
  warn: (line: string) => void = (line) => console.error(`onsembl: warning: ${line}`),
): string {
  if (flags.token !== undefined && flags.tokenFile !== undefined) throw new InvalidArgumentError('give --token-file or --token, not both');
  const warnings: string[] = [];
  try {
    const token = flags.tokenFile !== undefined ? readTokenFile(resolve(flags.tokenFile), warnings)
      : flags.token !== undefined ? flags.token
        : env.ONSEMBL_TOKEN_FILE ? readTokenFile(resolve(env.ONSEMBL_TOKEN_FILE), warnings)
          : (env.ONSEMBL_TOKEN || env.ONSEMBL_AGENT_TOKEN)?.trim();
    if (flags.token !== undefined) {
      warnings.push('--token is visible to every user of this machine (in `ps`); use --token-file FILE or ONSEMBL_TOKEN instead');
    }
    if (!token) throw new InvalidArgumentError('no agent token: pass --token-file FILE or set ONSEMBL_TOKEN (or ONSEMBL_TOKEN_FILE); make one with: onsembl token --role agent --out FILE');
    return token;
  } catch (error) {
    if (error instanceof ClientConfigError) throw new InvalidArgumentError(error.message);
    throw error;
  } finally {
    for (const line of warnings) warn(line);
  }
}
