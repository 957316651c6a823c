import type { Command, CommanderError } from 'commander';
import { ClientError, HistoryApiError, ProtocolError } from '@onsembl/client';
import { ErrorCode } from '@onsembl/protocol';
import { ClientConfigError, resolveClientConfig, type ClientConfig, type ClientConfigFlags } from '../../client-config.js';
import { certificateRefusal } from './connect.js';
import { CliError, EXIT_CODE_HELP, ExitCode } from './exit-codes.js';
import { exitWith } from './terminal.js';

/** The flags every client subcommand takes to find its server and token. */
export function withConnectionFlags(cmd: Command): Command {
  return cmd
    .option('--url <url>', 'server address, e.g. ws://127.0.0.1:3001 or https://onsembl.example (default: $ONSEMBL_URL, the config file, ws://127.0.0.1:3001)')
    .option('--token-file <file>', 'file holding a dashboard token (default: $ONSEMBL_TOKEN_FILE, $ONSEMBL_TOKEN, the config file)')
    .option('--token <jwt>', 'dashboard token on the command line (visible in `ps`: prefer --token-file)')
    .option('--ca <file>', 'PEM certificate of a private CA to trust for wss:// and https:// (default: the system CAs; config file key: ca)')
    .option('--config <file>', 'client config file, JSON or YAML with url, tokenFile, token (default: $ONSEMBL_CONFIG, ~/.config/onsembl/client.yaml)')
    .addHelpText('after', EXIT_CODE_HELP)
    // Usage errors of these commands exit 64, apart from any exit code the remote command may have.
    .exitOverride((error: CommanderError) => {
      process.exit(error.exitCode === 0 ? 0 : ExitCode.usage);
    });
}

/** Resolves the configuration and prints its warnings (a token on the command line, a readable token file). */
export function configFrom(flags: ClientConfigFlags): ClientConfig {
  const config = resolveClientConfig(flags);
  for (const warning of config.warnings) process.stderr.write(`onsembl: warning: ${warning}\n`);
  return config;
}

const PROTOCOL_EXIT: Partial<Record<string, ExitCode>> = {
  [ErrorCode.AGENT_OFFLINE]: ExitCode.agentOffline,
  [ErrorCode.AUTH_FAILED]: ExitCode.authFailed,
  [ErrorCode.QUEUE_FULL]: ExitCode.unavailable,
  [ErrorCode.RATE_LIMIT]: ExitCode.unavailable,
  [ErrorCode.INVALID_MESSAGE]: ExitCode.usage,
  [ErrorCode.COMMAND_NOT_FOUND]: ExitCode.notFound,
};

/** Any failure as the message to print and the exit code to end with. */
export function describeFailure(error: unknown): { code: number; message: string } {
  if (error instanceof CliError) return { code: error.exitCode, message: error.message };
  if (error instanceof ClientConfigError) return { code: ExitCode.usage, message: error.message };
  if (error instanceof ProtocolError) return { code: PROTOCOL_EXIT[error.code] ?? ExitCode.software, message: `${error.code}: ${error.message}` };
  if (error instanceof ClientError) return { code: ExitCode.unavailable, message: error.message };
  if (error instanceof HistoryApiError) {
    const certificate = certificateRefusal(error);
    if (certificate) return { code: ExitCode.tlsRefused, message: certificate };
    const code = error.status === 401 ? ExitCode.authFailed : error.status === 404 ? ExitCode.notFound : error.status === 0 ? ExitCode.unavailable : ExitCode.software;
    return { code, message: `the REST API answered ${error.status || 'nothing'}: ${error.message}` };
  }
  return { code: ExitCode.software, message: error instanceof Error ? error.message : String(error) };
}

/** A subcommand's action: its result is the exit code; a failure is printed once and mapped to its code. */
export function clientAction<A extends unknown[]>(run: (...args: A) => Promise<number>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    let code: number;
    try {
      code = await run(...args);
    } catch (error) {
      const failure = describeFailure(error);
      process.stderr.write(`onsembl: ${failure.message}\n`);
      code = failure.code;
    }
    await exitWith(code);
  };
}
