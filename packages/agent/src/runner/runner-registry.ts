import type { AgentType } from '@onsembl/protocol';
import { AiCliRunner, type AiCliSettings } from './ai-cli-runner.js';
import type { Runner } from './runner.js';
import { ShellRunner } from './shell-runner.js';

export interface RunnerSettings {
  /** Shell for `shell -c command`. */
  shell: string;
  /** How the AI CLI of claude, gemini and codex agents is run. */
  cli: Omit<AiCliSettings, 'type'>;
}

/**
 * Which runner each agent type uses: `shell` runs the command text in a terminal; claude, gemini
 * and codex give it as the prompt to their CLI's headless JSON mode (docs/agents.md).
 */
const runnerFactories: Record<AgentType, (settings: RunnerSettings) => Runner> = {
  shell: (settings) => new ShellRunner(settings.shell),
  claude: (settings) => new AiCliRunner({ ...settings.cli, type: 'claude' }),
  gemini: (settings) => new AiCliRunner({ ...settings.cli, type: 'gemini' }),
  codex: (settings) => new AiCliRunner({ ...settings.cli, type: 'codex' }),
};

export function runnerFor(type: AgentType, settings: RunnerSettings): Runner {
  return runnerFactories[type](settings);
}
