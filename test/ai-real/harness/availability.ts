import { installedCli, pins, type AiCli } from './installed-clis.js';
import { netnsUnavailable } from './netns.js';

/**
 * Why the real-CLI tests cannot run here, or null when they can. Without the pinned CLIs (installed
 * by .ci/install-ai-clis) or without network namespaces the suite skips with one loud line; under
 * CI it fails instead, so a CI run never passes without having driven the real CLIs.
 */
export function aiRealUnavailable(clis: readonly AiCli[]): string | null {
  const missing = clis.filter((cli) => installedCli(cli) === null);
  if (missing.length > 0) {
    return `not installed: ${missing.map((cli) => `${pins[cli].package}@${pins[cli].version}`).join(', ')} (run .ci/install-ai-clis)`;
  }
  return netnsUnavailable();
}

/** Prints the one loud skip line, or throws under CI. Returns whether the suite runs. */
export function aiRealCanRun(suite: string, clis: readonly AiCli[]): boolean {
  const why = aiRealUnavailable(clis);
  if (why === null) return true;
  if (process.env.CI) throw new Error(`${suite}: cannot run the real AI CLIs under CI: ${why}`);
  console.warn(`\n!!! ${suite} SKIPPED: ${why}\n`);
  return false;
}
