import { expect } from 'vitest';
import type { FakeModelServer } from '../fake-apis/index.js';
import type { CliSandbox } from './cli-sandbox.js';
import { pins, type AiCli } from './installed-clis.js';
import { probeOutside } from './netns.js';

/** Helpers of the tests that run a CLI directly (no agent) and pin what its version prints. */

export type Event = Record<string, unknown>;
export const ofType = (events: Event[], type: string) => events.filter((e) => e.type === type);

/** Per CLI: its headless command line, and how to resume. */
export const command: Record<AiCli, { args(prompt: string, resume?: string): string[]; env?: Record<string, string> }> = {
  claude: {
    args: (prompt, resume) => ['-p', prompt, '--output-format', 'stream-json', '--verbose', '--allowedTools', 'Bash', ...(resume ? ['--resume', resume] : [])],
  },
  gemini: {
    args: (prompt, resume) => ['-p', prompt, '--output-format', 'stream-json', '--approval-mode', 'yolo', ...(resume ? ['--resume', resume] : [])],
    // Without it, gemini relaunches itself as a child node process that signals do not reach.
    env: { GEMINI_CLI_NO_RELAUNCH: 'true' },
  },
  codex: {
    args: (prompt, resume) => ['exec', '--json', '--skip-git-repo-check', ...(resume ? ['resume', resume] : []), prompt],
  },
};

export function run(box: CliSandbox, prompt: string, resume?: string) {
  const spec = command[box.cli];
  return box.run(spec.args(prompt, resume), spec.env);
}

/** The session id a run printed (claude and gemini: init's session_id, codex: thread_id). */
export function sessionOf(cli: AiCli, events: Event[]): string {
  const id = cli === 'codex' ? ofType(events, 'thread.started')[0]?.thread_id : events.find((e) => e.type === 'init' || e.subtype === 'init')?.session_id;
  expect(typeof id).toBe('string');
  return id as string;
}

export function expectOnlyKnownRequests(fake: FakeModelServer) {
  expect(fake.unknown().map((r) => `${r.method} ${r.path}`)).toEqual([]);
}

/** The namespace has only loopback (and a connection off the machine is refused), and the installed CLI is the pinned version. */
export async function expectIsolatedPinnedCli(box: CliSandbox) {
  expect(box.ns.interfaces).toEqual(['lo']);
  expect(box.ns.routes.every((r) => / dev lo\b/.test(r))).toBe(true);
  expect(probeOutside(box.ns)).toBe('ENETUNREACH');
  const version = box.run(['--version']);
  const result = await version.done;
  expect(result.code).toBe(0);
  expect(version.stdout()).toContain(pins[box.cli].version);
}
