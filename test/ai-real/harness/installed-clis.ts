import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The AI CLIs the real-CLI suite drives, and where `.ci/install-ai-clis` put them. */
export const AiCli = { claude: 'claude', gemini: 'gemini', codex: 'codex' } as const;
export type AiCli = (typeof AiCli)[keyof typeof AiCli];

export interface CliPin {
  package: string;
  version: string;
  bin: string;
}

export const pins = JSON.parse(readFileSync(new URL('../clis.json', import.meta.url), 'utf8')) as Record<AiCli, CliPin>;

/** The cache folder of the installer (same default as .ci/install-ai-clis). */
export function aiCliDir(): string {
  return process.env.ONSEMBL_AI_CLI_DIR ?? join(homedir(), '.cache', 'onsembl-ai-clis');
}

/** Path of the installed pinned CLI, or null when it is not installed. */
export function installedCli(cli: AiCli): string | null {
  const pin = pins[cli];
  const folder = join(aiCliDir(), `${cli}-${pin.version}`);
  const bin = join(folder, 'node_modules', '.bin', pin.bin);
  return existsSync(join(folder, '.installed')) && existsSync(bin) ? bin : null;
}
