import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { InvalidArgumentError } from 'commander';
import { parse as parseYaml } from 'yaml';
import { envName, SERVER_SETTINGS, SETTING_KEYS, type ServerConfigFile, type ServerSettings, type SettingKey } from './server-settings.js';

/** A setting refused at start: the message names the file key, variable or flag, and what is allowed. */
export class ServerConfigError extends InvalidArgumentError {
  constructor(message: string) {
    super(message);
    this.name = 'ServerConfigError';
  }
}

type Values = Partial<Record<SettingKey, unknown>>;

/** Levenshtein distance, for "did you mean" on a misspelt key. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j] as number;
      row[j] = Math.min((row[j] as number) + 1, (row[j - 1] as number) + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length] as number;
}

function suggestion(key: string): string {
  const lower = key.toLowerCase().replace(/[-_]/g, '');
  const best = SETTING_KEYS.map((k) => ({ k, d: distance(lower, k.toLowerCase()) })).sort((x, y) => x.d - y.d)[0];
  return best && best.d <= 3 ? ` (did you mean "${best.k}"?)` : '';
}

function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Checks one value against its setting's schema; `where` names its source in the message. */
function checked(key: SettingKey, value: unknown, where: string): unknown {
  const spec = SERVER_SETTINGS[key];
  if (!Value.Check(spec.schema, value)) throw new ServerConfigError(`${where}: must be ${spec.allowed} (got ${shown(value)})`);
  return value;
}

/** A flag's or variable's text as the setting's type; refused text is reported like a bad value. */
function fromText(key: SettingKey, text: string, where: string): unknown {
  const spec = SERVER_SETTINGS[key];
  switch (spec.kind) {
    case 'integer':
      return checked(key, /^-?\d+$/.test(text.trim()) ? Number(text) : text, where);
    case 'boolean': {
      const normal = text.trim().toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(normal)) return true;
      if (['false', '0', 'no', 'off'].includes(normal)) return false;
      return checked(key, text, where);
    }
    case 'list':
      return checked(key, text.split(',').map((s) => s.trim()).filter((s) => s !== ''), where);
    case 'path':
      return resolve(checked(key, text, where) as string);
    case 'string':
    case 'enum':
      return checked(key, text, where);
  }
}

/**
 * Reads a config file, JSON or YAML (the `yaml` package reads both: JSON is YAML). Unknown keys and
 * bad values are refused by name; relative paths in it are relative to the file.
 */
export function readServerConfigFile(path: string): ServerConfigFile {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ServerConfigError(`cannot read the config file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (error) {
    throw new ServerConfigError(`the config file ${file} is not valid JSON or YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new ServerConfigError(`the config file ${file} must be a mapping of settings (${SETTING_KEYS.join(', ')})`);
  const values: Values = {};
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (!(SETTING_KEYS as string[]).includes(key)) {
      throw new ServerConfigError(`unknown key "${key}" in ${file}${suggestion(key)}; allowed: ${SETTING_KEYS.join(', ')}`);
    }
    const k = key as SettingKey;
    const v = checked(k, value, `"${key}" in ${file}`);
    values[k] = SERVER_SETTINGS[k].kind === 'path' ? resolve(dirname(file), v as string) : v;
  }
  return values as ServerConfigFile;
}

/** The settings the environment sets (`ONSEMBL_PORT`, ...); empty variables count as unset. */
export function serverConfigFromEnv(env: NodeJS.ProcessEnv): ServerConfigFile {
  const values: Values = {};
  for (const key of SETTING_KEYS) {
    const name = envName(key);
    const text = env[name];
    if (text !== undefined && text !== '') values[key] = fromText(key, text, name);
  }
  return values as ServerConfigFile;
}

/** The settings given as flags (commander's raw strings, keyed by setting). */
export function serverConfigFromFlags(flags: Partial<Record<SettingKey, string | string[] | boolean>>): ServerConfigFile {
  const values: Values = {};
  for (const key of SETTING_KEYS) {
    const raw = flags[key];
    if (raw === undefined) continue;
    const where = SERVER_SETTINGS[key].flag;
    if (typeof raw === 'boolean') values[key] = checked(key, raw, where);
    else if (Array.isArray(raw)) values[key] = checked(key, raw.flatMap((r) => r.split(',')).map((s) => s.trim()).filter((s) => s !== ''), where);
    else values[key] = fromText(key, raw, where);
  }
  return values as ServerConfigFile;
}

const defaults = (): ServerSettings => {
  const out: Values = {};
  for (const key of SETTING_KEYS) if (SERVER_SETTINGS[key].default !== undefined) out[key] = SERVER_SETTINGS[key].default;
  return out as ServerSettings;
};

/** Defaults, then the config file, then the environment, then flags: each overrides the one before. */
export function loadServerSettings(
  flags: Partial<Record<SettingKey | 'config', string | string[] | boolean>>,
  env: NodeJS.ProcessEnv = process.env,
): ServerSettings {
  const { config, ...rest } = flags;
  const fromFile = typeof config === 'string' ? readServerConfigFile(config) : {};
  const settings: ServerSettings = { ...defaults(), ...fromFile, ...serverConfigFromEnv(env), ...serverConfigFromFlags(rest) };
  if ((settings.tlsCert === undefined) !== (settings.tlsKey === undefined)) {
    throw new ServerConfigError('--tls-cert and --tls-key (tlsCert and tlsKey, ONSEMBL_TLS_CERT and ONSEMBL_TLS_KEY) go together');
  }
  return settings;
}
