import { Command, InvalidArgumentError } from 'commander';
import { registerAgentCommand } from './commands/agent.js';
import { registerClientCommands } from './commands/client/index.js';
import { registerSecretCommand } from './commands/secret.js';
import { registerServerCommand } from './commands/server.js';
import { registerTokenCommand } from './commands/token.js';
import { registerUpCommand } from './commands/up.js';
import { describeFailure } from './failure.js';

const program = new Command('onsembl')
  .description('Onsembl: the control center for AI coding agents')
  .showHelpAfterError();

registerServerCommand(program);
registerTokenCommand(program);
registerSecretCommand(program);
registerAgentCommand(program);
registerUpCommand(program);
registerClientCommands(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof InvalidArgumentError) process.exitCode = 2;
  else process.exitCode = 1;
  console.error(`onsembl: ${describeFailure(err)}`);
});
