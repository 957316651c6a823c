import type { AgentType } from '@onsembl/protocol';
import type { StreamFormat } from './types.js';

export type AiAgentType = Exclude<AgentType, 'shell'>;

export interface CliRunArgs {
  prompt: string;
  model?: string | undefined;
  permissionMode?: string | undefined;
  resumeSessionId?: string | undefined;
  /** Extra arguments from --cli-arg, placed before the prompt. */
  cliArgs: readonly string[];
  /** The server relays approval questions: the CLI may ask (Claude: `--permission-prompt-tool stdio`). */
  approvals: boolean;
}

/** How one AI CLI is run headless (facts: shared/research/agent-clis.md, docs/agents.md). */
export interface CliDefinition {
  type: AiAgentType;
  format: StreamFormat;
  /** The command looked up on PATH. */
  binary: string;
  product: string;
  /** What to install when the CLI is missing. */
  npmPackage: string;
  /** Values --permission-mode accepts, and the CLI flag it becomes. */
  permissionModes: readonly string[];
  permissionFlag: string;
  /** Added to the CLI's environment. */
  env: Readonly<Record<string, string>>;
  /**
   * stdin of the CLI. `closed` (Gemini and Codex wait for or read piped input otherwise; the prompt
   * is an argument), or `stream-json` (Claude): the prompt goes as a user turn on a pipe that stays
   * open while the run lasts, for the answers to its control requests (approvals), and is closed
   * once the CLI gave its result (it would wait for the next turn otherwise) or the run is stopped.
   */
  stdin: 'closed' | 'stream-json';
  args(run: CliRunArgs): string[];
}

/** A prompt that starts with '-' would be read as an option: after `--` it cannot be. */
const promptArgs = (prompt: string) => (prompt.startsWith('-') ? ['--', prompt] : [prompt]);

export const CLI_DEFINITIONS: Record<AiAgentType, CliDefinition> = {
  claude: {
    type: 'claude',
    format: 'claude',
    binary: 'claude',
    product: 'Claude Code',
    npmPackage: '@anthropic-ai/claude-code',
    permissionModes: ['default', 'acceptEdits', 'auto', 'bypassPermissions', 'dontAsk', 'manual', 'plan'],
    permissionFlag: '--permission-mode',
    env: {},
    stdin: 'stream-json',
    // -p is a switch (print, no TUI); the prompt comes on stdin (claude-control.ts userTurn).
    args: (run) => [
      '-p', '--input-format', 'stream-json', '--output-format', 'stream-json', '--verbose',
      ...(run.approvals ? ['--permission-prompt-tool', 'stdio'] : []),
      ...(run.model ? ['--model', run.model] : []),
      ...(run.permissionMode ? ['--permission-mode', run.permissionMode] : []),
      ...(run.resumeSessionId ? ['--resume', run.resumeSessionId] : []),
      ...run.cliArgs,
    ],
  },
  gemini: {
    type: 'gemini',
    format: 'gemini',
    binary: 'gemini',
    product: 'Gemini CLI',
    npmPackage: '@google/gemini-cli',
    permissionModes: ['default', 'auto_edit', 'yolo', 'plan'],
    permissionFlag: '--approval-mode',
    // Gemini relaunches itself as a child node process that does not get the parent's signals.
    env: { GEMINI_CLI_NO_RELAUNCH: 'true' },
    stdin: 'closed',
    args: (run) => [
      '--output-format', 'stream-json',
      ...(run.model ? ['-m', run.model] : []),
      ...(run.permissionMode ? ['--approval-mode', run.permissionMode] : []),
      ...(run.resumeSessionId ? ['--resume', run.resumeSessionId] : []),
      ...run.cliArgs,
      ...(run.prompt.startsWith('-') ? [`--prompt=${run.prompt}`] : ['-p', run.prompt]),
    ],
  },
  codex: {
    type: 'codex',
    format: 'codex',
    binary: 'codex',
    product: 'Codex CLI',
    npmPackage: '@openai/codex',
    permissionModes: ['read-only', 'workspace-write', 'danger-full-access'],
    permissionFlag: '--sandbox',
    env: {},
    stdin: 'closed',
    args: (run) => [
      'exec', '--json', '--skip-git-repo-check',
      ...(run.model ? ['-m', run.model] : []),
      ...(run.permissionMode ? ['--sandbox', run.permissionMode] : []),
      ...run.cliArgs,
      ...(run.resumeSessionId ? ['resume', run.resumeSessionId] : []),
      ...promptArgs(run.prompt),
    ],
  },
};

export function isAiAgentType(type: AgentType): type is AiAgentType {
  return type !== 'shell';
}
