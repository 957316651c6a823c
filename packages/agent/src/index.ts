export { startAgent, type Agent, type AgentEvents } from './agent.js';
export type { AgentOptions } from './options.js';
export { AgentFatalError, type FatalReason } from './connection/fatal-error.js';
export type { Runner, RunningCommand, RunSpec, RunCallbacks, RunResult } from './runner/runner.js';
