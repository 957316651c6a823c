import { constants } from 'node:os';
import type { CommandStatusPayload } from '@onsembl/client';

/**
 * Exit codes of the terminal client. A finished command passes its own exit code through; the
 * client's own failures use the sysexits.h numbers, and timeout / cancel the shell's conventions
 * (GNU `timeout` exits 124, a shell reports SIGINT as 130), so a script can tell them apart from
 * the usual 1 and 2 of a failing command.
 */
export const ExitCode = {
  ok: 0,
  /** Something failed that has no code of its own (e.g. `stop-all` not confirmed). */
  failure: 1,
  /** Unknown flag, missing or bad value, no --agent with several online, no token configured. */
  usage: 64,
  /** `logs` of a command id the server does not know. */
  notFound: 66,
  /** No agent online, the named agent is unknown or offline (AGENT_OFFLINE). */
  agentOffline: 69,
  /** The server answered something this client did not expect. */
  software: 70,
  /** Server unreachable, connection lost for longer than the client waits, queue full, rate limited. */
  unavailable: 75,
  /** The token was refused (AUTH_FAILED, HTTP 401). */
  authFailed: 77,
  /** The server's TLS certificate was refused (not trusted, another host name, expired): give --ca, or fix the URL. */
  tlsRefused: 78,
  /** The command ran past its timeout. */
  timeout: 124,
  /** The command ended without an exit code: refused by the agent's policy, could not start, lost with its agent. */
  notRun: 126,
  /** The command was cancelled: Ctrl-C here, an interrupt from a dashboard, an emergency stop, or removed from the queue. */
  cancelled: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** The table printed by `--help` and written in docs/cli.md. */
export const EXIT_CODE_HELP = `
Exit codes:
  0        the command completed (exit code 0)
  1-255    the command's own exit code when it exited non-zero
  128+N    the command was killed by signal N (not by an interrupt)
  124      the command ran past its timeout (--timeout, or the server's default)
  126      the command did not run: refused by the agent's policy, could not start, or lost with its agent
  130      the command was cancelled: Ctrl-C, an interrupt from a dashboard, stop-all, removed from the queue
  64       bad usage: unknown flag, bad value, no command, several agents online and no --agent, no token
  66       (logs) no command with that id
  69       agent offline: none online, or the named agent is unknown or offline
  75       server unreachable, connection lost for too long, queue full or rate limited
  77       authentication failed: the token was refused (a dashboard-role token is needed)
  78       the server's TLS certificate was refused (untrusted issuer, another host name, expired): --ca FILE`;

/** How a finished command maps onto this process's exit code. */
export function exitCodeOf(final: Pick<CommandStatusPayload, 'status' | 'exitCode' | 'signal'>): number {
  switch (final.status) {
    case 'completed':
      return ExitCode.ok;
    case 'timeout':
      return ExitCode.timeout;
    case 'cancelled':
      return ExitCode.cancelled;
    // queued and running are never final; they exit as a command that did not run.
    case 'failed':
    case 'queued':
    case 'running': {
      const { exitCode, signal } = final;
      if (typeof exitCode === 'number' && exitCode !== 0) return exitCode > 0 && exitCode < 256 ? exitCode : ExitCode.failure;
      const signalNumber = signal ? (constants.signals as Record<string, number | undefined>)[signal] : undefined;
      if (signalNumber) return 128 + signalNumber;
      return ExitCode.notRun;
    }
  }
}

/** A failure of the client itself, with the exit code it ends the process with. */
export class CliError extends Error {
  constructor(
    readonly exitCode: ExitCode,
    message: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
