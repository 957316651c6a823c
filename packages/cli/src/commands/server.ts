import { readFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { resolveDataDir, startServer } from '@onsembl/server';
import type { LevelWithSilent } from 'pino';
import { onShutdown, parsePort, parsePositiveInt } from './parse.js';

export interface ServerFlags {
  port: number;
  host: string;
  dataDir?: string;
  logLevel: LevelWithSilent;
  allowOrigin?: string[];
  heartbeatTimeout?: number;
  defaultTimeout?: number;
  messagesPerSecond?: number;
  commandsPerMinute?: number;
  heartbeatInterval?: number;
  tlsCert?: string;
  tlsKey?: string;
}

function readPem(flag: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new InvalidArgumentError(`cannot read ${flag} ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

function tlsFrom(flags: ServerFlags) {
  if (flags.tlsCert === undefined && flags.tlsKey === undefined) return {};
  if (flags.tlsCert === undefined || flags.tlsKey === undefined) throw new InvalidArgumentError('--tls-cert and --tls-key go together');
  return { tls: { cert: readPem('--tls-cert', flags.tlsCert), key: readPem('--tls-key', flags.tlsKey) } };
}

export function serverOptionsFrom(flags: ServerFlags) {
  return {
    port: flags.port,
    host: flags.host,
    dataDir: resolveDataDir(flags.dataDir),
    logLevel: flags.logLevel,
    ...tlsFrom(flags),
    ...(flags.allowOrigin ? { allowedOrigins: flags.allowOrigin } : {}),
    ...(flags.heartbeatTimeout ? { heartbeatTimeoutMs: flags.heartbeatTimeout } : {}),
    ...(flags.defaultTimeout ? { defaultTimeoutMs: flags.defaultTimeout } : {}),
    ...(flags.heartbeatInterval ? { heartbeatIntervalMs: flags.heartbeatInterval } : {}),
    ...(flags.messagesPerSecond ? { messagesPerSecond: flags.messagesPerSecond } : {}),
    ...(flags.commandsPerMinute ? { commandsPerMinute: flags.commandsPerMinute } : {}),
  };
}

/** Flags shared by `server` and `up`. */
export function withServerFlags(cmd: Command): Command {
  return cmd
    .option('--port <port>', 'port to listen on (0 = any free port)', parsePort, 3001)
    .option('--host <host>', 'address to bind (default: this machine only)', '127.0.0.1')
    .option('--data-dir <dir>', 'where the database and secret live (default: $ONSEMBL_DATA_DIR or ./.onsembl)')
    .option('--log-level <level>', 'trace | debug | info | warn | error | silent', 'info')
    .option('--tls-cert <file>', 'serve https and wss with this PEM certificate (chain), with --tls-key')
    .option('--tls-key <file>', 'the PEM private key of --tls-cert')
    .option('--allow-origin <origin...>', 'extra browser Origins allowed to connect (* = any)')
    .option('--heartbeat-timeout <ms>', 'close connections silent this long (default 60000)', parsePositiveInt)
    .option('--default-timeout <ms>', 'timeout for commands that name none (default: none)', parsePositiveInt)
    .option('--heartbeat-interval <ms>', 'expected heartbeat interval of clients (default 30000)', parsePositiveInt)
    .option('--messages-per-second <n>', 'per-dashboard message rate limit (default 100)', parsePositiveInt)
    .option('--commands-per-minute <n>', 'per-dashboard command request limit (default 10)', parsePositiveInt);
}

export function registerServerCommand(program: Command): void {
  withServerFlags(program.command('server').description('start the Onsembl server')).action(async (flags: ServerFlags) => {
    const server = await startServer(serverOptionsFrom(flags));
    onShutdown(() => server.close());
  });
}
