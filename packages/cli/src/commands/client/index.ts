import type { Command } from 'commander';
import { registerAgentsCommand } from './agents.js';
import { registerHistoryCommand } from './history.js';
import { registerLogsCommand } from './logs.js';
import { registerRunCommand } from './run.js';
import { registerStopAllCommand } from './stop-all.js';

/** The terminal client: `run`, `agents`, `history`, `logs`, `stop-all` (docs/cli.md). */
export function registerClientCommands(program: Command): void {
  // `onsembl run ls -la` passes `-la` on to the command: that needs options read by position. The
  // program itself has no options besides --help, so nothing else changes.
  program.enablePositionalOptions();
  registerRunCommand(program);
  registerAgentsCommand(program);
  registerHistoryCommand(program);
  registerLogsCommand(program);
  registerStopAllCommand(program);
}
