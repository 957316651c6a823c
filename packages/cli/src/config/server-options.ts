import { readFileSync } from 'node:fs';
import { createLogger, resolveDataDir, type ServerOptions } from '@onsembl/server';
import pretty from 'pino-pretty';
import type { Logger } from 'pino';
import { ServerConfigError } from './load-server-config.js';
import type { ServerSettings } from './server-settings.js';

function readPem(what: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new ServerConfigError(`cannot read the ${what} ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** The server's options from merged settings (the TLS files are read here, so a bad path stops the start). */
export function serverOptionsFrom(settings: ServerSettings): ServerOptions {
  const options: ServerOptions = {
    port: settings.port,
    host: settings.host,
    dataDir: resolveDataDir(settings.dataDir),
    logLevel: settings.logLevel,
    trustProxy: settings.trustProxy,
    metricsAuth: settings.metricsAuth,
  };
  if (settings.tlsCert !== undefined && settings.tlsKey !== undefined) {
    options.tls = { cert: readPem('TLS certificate', settings.tlsCert), key: readPem('TLS key', settings.tlsKey) };
  }
  if (settings.allowOrigins) options.allowedOrigins = settings.allowOrigins;
  if (settings.heartbeatTimeoutMs !== undefined) options.heartbeatTimeoutMs = settings.heartbeatTimeoutMs;
  if (settings.heartbeatIntervalMs !== undefined) options.heartbeatIntervalMs = settings.heartbeatIntervalMs;
  if (settings.defaultTimeoutMs !== undefined) options.defaultTimeoutMs = settings.defaultTimeoutMs;
  if (settings.messagesPerSecond !== undefined) options.messagesPerSecond = settings.messagesPerSecond;
  if (settings.commandsPerMinute !== undefined) options.commandsPerMinute = settings.commandsPerMinute;
  if (settings.approvalTimeoutMs !== undefined) options.approvalTimeoutMs = settings.approvalTimeoutMs;
  return options;
}

/** pino JSON to stdout (the default: for log shippers), or pino-pretty for people reading a terminal. */
export function serverLogger(settings: Pick<ServerSettings, 'logLevel' | 'logFormat'>, level = settings.logLevel): Logger {
  if (settings.logFormat === 'json') return createLogger(level);
  return createLogger(level, pretty({ colorize: process.stdout.isTTY === true, destination: 1, sync: true }));
}
