import { Type, type Static, type TOptional, type TSchema } from '@sinclair/typebox';

/**
 * Every setting of `onsembl server` (and `onsembl up`), once: its config-file key, its flag, its
 * environment variable (`ONSEMBL_` + the key in SCREAMING_SNAKE_CASE), its TypeBox schema and what
 * is allowed, in words, for error messages. The config file, the environment and the flags are all
 * read from this table, so a setting cannot exist in one and be missing from another.
 *
 * To add a setting: one row here, and where server-options.ts turns settings into ServerOptions.
 */
export interface SettingSpec {
  /** `--flag <value>` (or `--flag` for a boolean). */
  flag: string;
  schema: TSchema;
  /** What is allowed, for the message when a value is refused. */
  allowed: string;
  help: string;
  /** The value used when no source sets it; undefined = not set (the server's own default). */
  default?: unknown;
  /** Turns a flag's or variable's text into the value (before the schema check). */
  kind: 'string' | 'path' | 'integer' | 'boolean' | 'list' | 'enum';
}

const positiveInt = (flag: string, help: string, defaultText: string) => ({
  flag, schema: Type.Integer({ minimum: 1 }), allowed: 'a positive integer', help: `${help} (default ${defaultText})`, kind: 'integer' as const,
});

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export const LOG_FORMATS = ['json', 'pretty'] as const;
export const METRICS_AUTH = ['token', 'none'] as const;

/** One of `values`, typed as their union (TypeBox checks the literals). */
const literals = <T extends readonly string[]>(values: T) => Type.Unsafe<T[number]>(Type.Union(values.map((v) => Type.Literal(v))));

const table = {
  port: { flag: '--port', schema: Type.Integer({ minimum: 0, maximum: 65535 }), allowed: 'an integer from 0 to 65535', help: 'port to listen on (0 = any free port)', default: 3001, kind: 'integer' },
  host: { flag: '--host', schema: Type.String({ minLength: 1 }), allowed: 'an address or host name', help: 'address to bind (default: this machine only)', default: '127.0.0.1', kind: 'string' },
  dataDir: { flag: '--data-dir', schema: Type.String({ minLength: 1 }), allowed: 'a directory path', help: 'where the database and secret live (default: ./.onsembl)', kind: 'path' },
  logLevel: { flag: '--log-level', schema: literals(LOG_LEVELS), allowed: LOG_LEVELS.join(', '), help: LOG_LEVELS.join(' | '), default: 'info', kind: 'enum' },
  logFormat: { flag: '--log-format', schema: literals(LOG_FORMATS), allowed: LOG_FORMATS.join(', '), help: 'json (one pino JSON object a line, default) | pretty (for people)', default: 'json', kind: 'enum' },
  tlsCert: { flag: '--tls-cert', schema: Type.String({ minLength: 1 }), allowed: 'a PEM file path', help: 'serve https and wss with this PEM certificate (chain), with --tls-key', kind: 'path' },
  tlsKey: { flag: '--tls-key', schema: Type.String({ minLength: 1 }), allowed: 'a PEM file path', help: 'the PEM private key of --tls-cert', kind: 'path' },
  trustProxy: { flag: '--trust-proxy', schema: Type.Boolean(), allowed: 'true or false', help: 'behind a reverse proxy: take the client address from X-Forwarded-For and the scheme from X-Forwarded-Proto', default: false, kind: 'boolean' },
  allowOrigins: { flag: '--allow-origin', schema: Type.Array(Type.String({ minLength: 1 })), allowed: 'a list of Origins like https://ops.example.com, or *', help: 'extra browser Origins allowed to connect (repeatable; * = any)', kind: 'list' },
  metricsAuth: { flag: '--metrics-auth', schema: literals(METRICS_AUTH), allowed: METRICS_AUTH.join(', '), help: 'GET /metrics needs a metrics or dashboard token (token, default), or nothing (none: only where just the scraper can reach the port)', default: 'token', kind: 'enum' },
  heartbeatTimeoutMs: positiveInt('--heartbeat-timeout', 'close connections silent this long, ms', '60000'),
  heartbeatIntervalMs: positiveInt('--heartbeat-interval', 'expected heartbeat interval of clients, ms', '30000'),
  defaultTimeoutMs: positiveInt('--default-timeout', 'timeout for commands that name none, ms', 'none'),
  messagesPerSecond: positiveInt('--messages-per-second', 'per-dashboard message rate limit', '100'),
  commandsPerMinute: positiveInt('--commands-per-minute', 'per-dashboard command request limit', '10'),
  approvalTimeoutMs: positiveInt('--approval-timeout', 'deny an AI tool approval nobody answers within this, ms', '300000'),
  shutdownTimeoutMs: positiveInt('--shutdown-timeout', 'after SIGTERM, exit 1 if a clean stop takes longer than this, ms', '15000'),
  // Several nodes (docs/scale-out.md): both URLs, or neither (one embedded server).
  databaseUrl: { flag: '--database-url', schema: Type.String({ minLength: 1 }), allowed: 'a postgres:// URL', help: 'several nodes: the shared PostgreSQL, postgres://… (also $DATABASE_URL; needs --redis-url)', kind: 'string' },
  redisUrl: { flag: '--redis-url', schema: Type.String({ minLength: 1 }), allowed: 'a redis:// URL', help: 'several nodes: the Redis that carries live events between them, redis://… (also $REDIS_URL)', kind: 'string' },
  redisPrefix: { flag: '--redis-prefix', schema: Type.String({ minLength: 1 }), allowed: 'a channel name prefix', help: 'several nodes: put before every Redis channel name (default onsembl:)', kind: 'string' },
  nodeId: { flag: '--node-id', schema: Type.String({ minLength: 1, maxLength: 128 }), allowed: 'a name of 1-128 characters', help: "several nodes: this node's name (default: node- and random hex)", kind: 'string' },
  nodeHeartbeatMs: positiveInt('--node-heartbeat', 'several nodes: how often a node renews its lease, ms', '2000'),
  nodeLeaseMs: positiveInt('--node-lease', 'several nodes: a node silent this long is declared dead, ms', '3 heartbeats'),
} as const satisfies Record<string, SettingSpec>;

export const SERVER_SETTINGS: Readonly<Record<SettingKey, SettingSpec>> = table;
export type SettingKey = keyof typeof table;
export const SETTING_KEYS = Object.keys(table) as SettingKey[];

/** The environment variable of a key: dataDir → ONSEMBL_DATA_DIR. */
export function envName(key: SettingKey): string {
  return `ONSEMBL_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

type Table = typeof table;

/** The whole config file's schema: only known keys, each of its type. */
export const ServerConfigSchema = Type.Object(
  Object.fromEntries(SETTING_KEYS.map((key) => [key, Type.Optional(SERVER_SETTINGS[key].schema)])) as { [K in SettingKey]: TOptional<Table[K]['schema']> },
  { additionalProperties: false },
);

/** What a config file may hold (every key optional). */
export type ServerConfigFile = Static<typeof ServerConfigSchema>;

/** The merged settings: the keys with a default are always there. */
export type ServerSettings = ServerConfigFile & Required<Pick<ServerConfigFile, 'port' | 'host' | 'logLevel' | 'logFormat' | 'trustProxy' | 'metricsAuth'>>;
