import type { Command } from 'commander';
import { startServer } from '@onsembl/server';
import { loadServerSettings } from '../config/load-server-config.js';
import { serverLogger, serverOptionsFrom } from '../config/server-options.js';
import { SERVER_SETTINGS, SETTING_KEYS, type ServerSettings, type SettingKey } from '../config/server-settings.js';
import { openScaleOutBackends } from './backends.js';
import { onShutdown } from './parse.js';

/** What commander hands the action: raw flag text by commander's attribute name, plus `config`. */
export type ServerFlags = Record<string, string | string[] | boolean | undefined>;

/** commander's attribute for a flag: --heartbeat-timeout → heartbeatTimeout. */
const attributeOf = (flag: string) => flag.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

const PLACEHOLDERS = { integer: '<n>', path: '<path>', string: '<value>', enum: '<value>', list: '<value...>', boolean: '' } as const;

/** Flags shared by `server` and `up`, one per setting (server-settings.ts), and --config. */
export function withServerFlags(cmd: Command): Command {
  cmd.option('--config <file>', 'read settings from this JSON or YAML file first (then ONSEMBL_* variables, then flags)');
  for (const key of SETTING_KEYS) {
    const spec = SERVER_SETTINGS[key];
    const placeholder = PLACEHOLDERS[spec.kind];
    cmd.option(placeholder ? `${spec.flag} ${placeholder}` : spec.flag, spec.help);
  }
  return cmd;
}

/** The merged settings of a `server` or `up` invocation: file, then environment, then flags. */
export function settingsFrom(flags: ServerFlags, env: NodeJS.ProcessEnv = process.env): ServerSettings {
  const byKey: Partial<Record<SettingKey | 'config', string | string[] | boolean>> = {};
  if (typeof flags.config === 'string') byKey.config = flags.config;
  for (const key of SETTING_KEYS) {
    const value = flags[attributeOf(SERVER_SETTINGS[key].flag)];
    if (value !== undefined) byKey[key] = value;
  }
  return loadServerSettings(byKey, env);
}

export function registerServerCommand(program: Command): void {
  withServerFlags(program.command('server').description('start the Onsembl server'))
    .action(async (flags: ServerFlags) => {
      const settings = settingsFrom(flags);
      // Several nodes on PostgreSQL and Redis (docs/scale-out.md), or the embedded server.
      const backends = await openScaleOutBackends(settings);
      const server = await startServer({ ...serverOptionsFrom(settings), logger: serverLogger(settings), ...(backends ?? {}) }).catch(async (err: unknown) => {
        await backends?.bus.close().catch(() => undefined);
        await backends?.store.close().catch(() => undefined);
        throw err;
      });
      onShutdown(() => server.close(), settings.shutdownTimeoutMs);
    });
}
