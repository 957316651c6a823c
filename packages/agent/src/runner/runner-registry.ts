import type { AgentType } from '@onsembl/protocol';
import type { Runner } from './runner.js';
import { ShellRunner } from './shell-runner.js';

export interface RunnerSettings {
  /** Shell for `shell -c command`. */
  shell: string;
}

/**
 * Which runner each agent type uses. claude, gemini and codex run their command text through the
 * shell for now, exactly like `shell` (e.g. `claude -p "…"` typed as the command): their headless
 * JSON-stream runners, which would turn tool calls and messages into structured output, come later
 * and plug in here without touching the agent core.
 */
const runnerFactories: Record<AgentType, (settings: RunnerSettings) => Runner> = {
  shell: (settings) => new ShellRunner(settings.shell),
  claude: (settings) => new ShellRunner(settings.shell),
  gemini: (settings) => new ShellRunner(settings.shell),
  codex: (settings) => new ShellRunner(settings.shell),
};

export function runnerFor(type: AgentType, settings: RunnerSettings): Runner {
  return runnerFactories[type](settings);
}
