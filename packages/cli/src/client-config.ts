import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';

/**
 * Where the terminal client (`onsembl run`, `agents`, `history`, `logs`, `stop-all`) finds its
 * server and its dashboard token: flags, then environment, then a config file, each only where the
 * one before says nothing. A token is never required on the command line (`--token-file`,
 * `ONSEMBL_TOKEN`, or the file).
 */
export interface ClientConfigFlags {
  url?: string;
  token?: string;
  tokenFile?: string;
  /** PEM file of a private CA to trust for wss:// and https://. */
  ca?: string;
  config?: string;
}

/** Keys a client config file may hold (JSON or YAML: the `yaml` library reads both). */
export const CLIENT_CONFIG_KEYS = ['url', 'token', 'tokenFile', 'ca'] as const;
export type ClientConfigKey = (typeof CLIENT_CONFIG_KEYS)[number];
export type ClientConfigFile = Partial<Record<ClientConfigKey, string>>;

/** The server an `onsembl up` or `onsembl server` with no flags listens on. */
export const DEFAULT_SERVER_URL = 'ws://127.0.0.1:3001';

/** `$XDG_CONFIG_HOME/onsembl/client.yaml`, else `~/.config/onsembl/client.yaml`; read only when it exists. */
export function defaultClientConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME && isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : join(homedir(), '.config');
  return join(base, 'onsembl', 'client.yaml');
}

export interface ClientConfig {
  /** The dashboard WebSocket endpoint, e.g. `ws://127.0.0.1:3001/ws/dashboard`. */
  dashboardUrl: string;
  token: string;
  /** The private CA's certificate(s), when one is configured; otherwise the system's CAs are trusted. */
  ca?: Buffer;
  /** Where the URL and the token came from, for error messages (never the token itself). */
  urlSource: string;
  tokenSource: string;
  /** Things the user should hear about (a token on the command line, a token file others can read). */
  warnings: string[];
}

/** A configuration the user must fix: the message names the flag, variable or key. */
export class ClientConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClientConfigError';
  }
}

interface LoadedFile {
  path: string;
  values: ClientConfigFile;
}

/** Reads and checks a config file: unknown keys and non-string values are refused by name. */
export function readClientConfigFile(path: string): ClientConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ClientConfigError(`cannot read the config file ${path}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (error) {
    throw new ClientConfigError(`the config file ${path} is not valid JSON or YAML: ${(error as Error).message}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new ClientConfigError(`the config file ${path} must hold a mapping of keys (${CLIENT_CONFIG_KEYS.join(', ')})`);
  const values: ClientConfigFile = {};
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (!(CLIENT_CONFIG_KEYS as readonly string[]).includes(key)) {
      throw new ClientConfigError(`unknown key "${key}" in ${path}; allowed: ${CLIENT_CONFIG_KEYS.join(', ')}`);
    }
    if (typeof value !== 'string' || value.trim() === '') throw new ClientConfigError(`"${key}" in ${path} must be a non-empty string`);
    values[key as ClientConfigKey] = value.trim();
  }
  return values;
}

function loadFile(flags: ClientConfigFlags, env: NodeJS.ProcessEnv): LoadedFile | undefined {
  const explicit = flags.config ?? env.ONSEMBL_CONFIG;
  if (explicit) return { path: resolve(explicit), values: readClientConfigFile(resolve(explicit)) };
  const path = defaultClientConfigPath(env);
  try {
    statSync(path);
  } catch {
    return undefined;
  }
  return { path, values: readClientConfigFile(path) };
}

/** Reads a token file: the first line, trimmed; a file others can read is used, with a warning. */
export function readTokenFile(path: string, warnings: string[]): string {
  let text: string;
  let mode: number;
  try {
    text = readFileSync(path, 'utf8');
    mode = statSync(path).mode;
  } catch (error) {
    throw new ClientConfigError(`cannot read the token file ${path}: ${(error as Error).message}`);
  }
  const token = text.split(/\r?\n/)[0]?.trim() ?? '';
  if (!token) throw new ClientConfigError(`the token file ${path} is empty`);
  if ((mode & 0o077) !== 0) {
    warnings.push(`the token file ${path} can be read by other users (mode ${(mode & 0o777).toString(8)}); run: chmod 600 ${path}`);
  }
  return token;
}

/**
 * `ws://h:p`, `http://h:p`, `wss://…`, `https://…`, with or without `/ws/dashboard`: the dashboard
 * endpoint. A path prefix (a proxy's `/onsembl`) is kept.
 */
export function dashboardUrlOf(raw: string, source: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ClientConfigError(`${source}: "${raw}" is not a URL (expected e.g. ${DEFAULT_SERVER_URL})`);
  }
  const schemes: Record<string, string> = { 'ws:': 'ws:', 'wss:': 'wss:', 'http:': 'ws:', 'https:': 'wss:' };
  const scheme = schemes[url.protocol];
  if (!scheme) throw new ClientConfigError(`${source}: "${raw}" must start with ws://, wss://, http:// or https://`);
  url.protocol = scheme;
  const path = url.pathname.replace(/\/+$/, '');
  if (path.endsWith('/ws/agent')) throw new ClientConfigError(`${source}: "${raw}" is the agent endpoint; give the server's address (or its /ws/dashboard)`);
  url.pathname = path.endsWith('/ws/dashboard') ? path : `${path}/ws/dashboard`;
  url.search = '';
  url.hash = '';
  return url.toString();
}

/** flags > environment (`ONSEMBL_URL`, `ONSEMBL_TOKEN_FILE`, `ONSEMBL_TOKEN`) > config file > defaults. */
export function resolveClientConfig(flags: ClientConfigFlags, env: NodeJS.ProcessEnv = process.env): ClientConfig {
  const warnings: string[] = [];
  const file = loadFile(flags, env);
  const fromFile = (key: ClientConfigKey) => file?.values[key];

  let urlRaw = DEFAULT_SERVER_URL;
  let urlSource = 'the default';
  if (flags.url) [urlRaw, urlSource] = [flags.url, '--url'];
  else if (env.ONSEMBL_URL) [urlRaw, urlSource] = [env.ONSEMBL_URL, 'ONSEMBL_URL'];
  else if (fromFile('url')) [urlRaw, urlSource] = [fromFile('url') as string, `"url" in ${file?.path}`];

  if (flags.token && flags.tokenFile) throw new ClientConfigError('give --token-file or --token, not both');
  let token: string | undefined;
  let tokenSource = '';
  if (flags.tokenFile) {
    token = readTokenFile(resolve(flags.tokenFile), warnings);
    tokenSource = `--token-file ${flags.tokenFile}`;
  } else if (flags.token) {
    token = flags.token;
    tokenSource = '--token';
    warnings.push('--token is visible to every user of this machine (in `ps`); use --token-file FILE or ONSEMBL_TOKEN instead');
  } else if (env.ONSEMBL_TOKEN_FILE) {
    token = readTokenFile(resolve(env.ONSEMBL_TOKEN_FILE), warnings);
    tokenSource = `ONSEMBL_TOKEN_FILE (${env.ONSEMBL_TOKEN_FILE})`;
  } else if (env.ONSEMBL_TOKEN) {
    token = env.ONSEMBL_TOKEN.trim();
    tokenSource = 'ONSEMBL_TOKEN';
  } else if (file && fromFile('tokenFile')) {
    const path = resolve(dirname(file.path), fromFile('tokenFile') as string);
    token = readTokenFile(path, warnings);
    tokenSource = `"tokenFile" in ${file.path}`;
  } else if (file && fromFile('token')) {
    token = fromFile('token');
    tokenSource = `"token" in ${file.path}`;
    try {
      const mode = statSync(file.path).mode;
      if ((mode & 0o077) !== 0) warnings.push(`${file.path} holds a token and can be read by other users; run: chmod 600 ${file.path}`);
    } catch {
      // it was just read; a vanished file changes nothing here
    }
  }
  if (!token) {
    throw new ClientConfigError(
      'no dashboard token: pass --token-file FILE, set ONSEMBL_TOKEN (or ONSEMBL_TOKEN_FILE), or put tokenFile in the config file ' +
        `(${file?.path ?? defaultClientConfigPath(env)}); make one with: onsembl token --role dashboard`,
    );
  }
  const caPath = flags.ca ? resolve(flags.ca) : file && fromFile('ca') ? resolve(dirname(file.path), fromFile('ca') as string) : undefined;
  const ca = caPath === undefined ? undefined : readCa(caPath, flags.ca ? '--ca' : `"ca" in ${file?.path}`);
  return { dashboardUrl: dashboardUrlOf(urlRaw, urlSource), token, urlSource, tokenSource, warnings, ...(ca ? { ca } : {}) };
}

function readCa(path: string, source: string): Buffer {
  let pem: Buffer;
  try {
    pem = readFileSync(path);
  } catch (error) {
    throw new ClientConfigError(`cannot read the CA certificate ${path} (${source}): ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  if (!pem.toString('latin1').includes('-----BEGIN CERTIFICATE-----')) throw new ClientConfigError(`${path} (${source}) holds no PEM certificate`);
  return pem;
}
