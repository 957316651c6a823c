import { pino, type Logger, type LevelWithSilent } from 'pino';

/** Replaces the value of any `token` query parameter, so a URL can be logged. */
export function redactUrl(url: string | undefined): string {
  if (url === undefined) return '';
  return url.replace(/([?&]token=)[^&#]*/gi, '$1[REDACTED]');
}

/** pino with the paths that may hold secrets redacted, as a second line of defence. */
export function createLogger(level: LevelWithSilent = 'info', destination?: NodeJS.WritableStream): Logger {
  const options = {
    level,
    base: { service: 'onsembl-server' },
    redact: {
      paths: ['token', '*.token', 'headers.authorization', '*.headers.authorization', 'payload.token', 'secret', '*.secret'],
      censor: '[REDACTED]',
    },
  };
  return destination ? pino(options, destination as never) : pino(options);
}

export type { Logger };
