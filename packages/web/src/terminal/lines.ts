import type { CommandStatusPayload } from '@onsembl/client';
import { formatDuration } from '../ui/format.js';

// SGR sequences: dim, bold, colours, reset. Markers are dim so they read as annotations, not output.
const DIM = '\x1b[2m';
const RESET = '\x1b[0m';
const GREEN = '\x1b[32m';
const RED = '\x1b[31m';
const YELLOW = '\x1b[33m';
const CYAN = '\x1b[36m';

/** The line written when a command starts running: `$ command`. */
export function startLine(commandId: string, command: string | null): string {
  return `${CYAN}$ ${command ?? commandId}${RESET}${DIM}  [${shortId(commandId)}]${RESET}\r\n`;
}

/** The line written when a command finishes: outcome, exit code, duration. */
export function endLine(status: CommandStatusPayload): string {
  const colour = status.status === 'completed' ? GREEN : status.status === 'failed' ? RED : YELLOW;
  const parts: string[] = [status.status];
  if (status.exitCode !== undefined && status.exitCode !== null) parts.push(`exit ${status.exitCode}`);
  if (status.signal) parts.push(status.signal);
  if (status.durationMs !== undefined) parts.push(formatDuration(status.durationMs));
  if (status.message) parts.push(status.message);
  return `${DIM}${colour}── ${parts.join(' · ')}${RESET}\r\n`;
}

export function noteLine(text: string): string {
  return `${DIM}${text}${RESET}\r\n`;
}

/** cmd-2d61a9ec-eacc-… → cmd-2d61a9ec: enough to tell commands apart and to find the full id. */
export function shortId(commandId: string): string {
  const match = /^(cmd-[0-9a-f]{8})-[0-9a-f-]+$/i.exec(commandId);
  return match?.[1] ?? commandId;
}
