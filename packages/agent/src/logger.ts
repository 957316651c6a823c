import { pino, type Logger } from 'pino';

/**
 * The default logger: JSON lines on stderr (stdout stays free for a CLI's own output). Tokens are
 * never passed to the logger; the redaction below is a second line of defence for fields named so.
 */
export function defaultLogger(): Logger {
  return pino(
    {
      name: 'onsembl-agent',
      level: 'info',
      redact: { paths: ['token', '*.token', 'headers.authorization'], censor: 'REDACTED' },
    },
    pino.destination(2),
  );
}
