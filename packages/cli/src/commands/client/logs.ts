import type { Command } from 'commander';
import type { ClientConfig, ClientConfigFlags } from '../../client-config.js';
import { CommandEventBuffer } from './command-events.js';
import { CommandWatch } from './command-watch.js';
import { clientAction, configFrom, withConnectionFlags } from './common.js';
import { connectClient, historyApi, restError } from './connect.js';
import { watchConnection } from './connection-watch.js';
import { ExitCode, exitCodeOf } from './exit-codes.js';
import { OutputFollower } from './output-follower.js';
import { Terminal } from './terminal.js';

export function registerLogsCommand(program: Command): void {
  withConnectionFlags(
    program
      .command('logs')
      .description("print a command's stored output; with --follow, then its live output until it ends")
      .argument('<command-id>', 'the command id (as `onsembl history` shows it)')
      .option('-f, --follow', "keep printing live output until the command is final, then exit like `onsembl run` with the command's exit code"),
  ).action(
    clientAction(async (commandId: string, flags: ClientConfigFlags & { follow?: boolean }) => {
      const config = configFrom(flags);
      return flags.follow ? follow(commandId, config) : printStored(commandId, config);
    }),
  );
}

async function printStored(commandId: string, config: ClientConfig): Promise<number> {
  const follower = new OutputFollower(commandId, historyApi(config), new Terminal());
  await follower.catchUp().catch((error: unknown) => Promise.reject(restError(error, config)));
  return ExitCode.ok;
}

async function follow(commandId: string, config: ClientConfig): Promise<number> {
  const terminal = new Terminal();
  let events: CommandEventBuffer | undefined;
  const connected = await connectClient(config, (c) => (events = new CommandEventBuffer(c)));
  const { client, lastSocketError } = connected;
  const connection = watchConnection(client, config, terminal, lastSocketError, () => `follow it again with: onsembl logs ${commandId} --follow`);
  const watch = new CommandWatch(commandId, client, client.history, terminal);
  try {
    watch.start(events as CommandEventBuffer, true);
    const final = await Promise.race([watch.final, connection.failed]).catch((error: unknown) => Promise.reject(restError(error, config)));
    return exitCodeOf(final);
  } finally {
    watch.stop();
    connection.stop();
    events?.close();
    await connected.close();
  }
}
