export { startAgent, type Agent, type AgentEvents } from './agent.js';
export type { AgentOptions, AiCliOptions } from './options.js';
export { checkCli, CliCheckError, type CheckedCli } from './runner/ai/cli-check.js';
export { CLI_DEFINITIONS, isAiAgentType, type AiAgentType } from './runner/ai/cli-definitions.js';
export { AgentFatalError, type FatalReason } from './connection/fatal-error.js';
export type { Runner, RunningCommand, RunSpec, RunCallbacks, RunResult } from './runner/runner.js';
