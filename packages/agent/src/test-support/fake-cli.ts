import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AiAgentType } from '../runner/ai/cli-definitions.js';

/** The stand-in CLIs (test/fixtures/ai-cli), which replay streams the real CLIs printed. */
export function fakeCliPath(type: AiAgentType): string {
  return fileURLToPath(new URL(`../../../../test/fixtures/ai-cli/fake-${type}.js`, import.meta.url));
}

export interface FakeCliRun {
  cli: string;
  argv: string[];
  /** The prompt as the CLI got it (an argument, or Claude's first user turn on stdin). */
  prompt: string;
  cwd: string;
  pid: number;
  children: number[];
  relaunched: boolean;
  noRelaunch: string | null;
}

/** A log file the stand-ins append each run to (FAKE_CLI_LOG), read back by tests. */
export function fakeCliLog(): { path: string; runs(): FakeCliRun[]; [Symbol.dispose](): void } {
  const dir = mkdtempSync(join(tmpdir(), 'onsembl-fake-cli-'));
  const path = join(dir, 'runs.jsonl');
  return {
    path,
    runs: () => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as FakeCliRun) : []),
    [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }),
  };
}
