import type { Command } from 'commander';
import { hostname } from 'node:os';
import { startServer } from '@onsembl/server';
import { startAgent } from '@onsembl/agent';
import { Endpoint } from '@onsembl/protocol';
import { openScaleOutBackends } from './backends.js';
import { onShutdown } from './parse.js';
import { stopWithNpm } from './stop-with-npm.js';
import { serverLogger, serverOptionsFrom } from '../config/server-options.js';
import { settingsFrom, withServerFlags, type ServerFlags } from './server.js';

const YEAR_SECONDS = 365 * 24 * 3600;

export function registerUpCommand(program: Command): void {
  withServerFlags(program.command('up').description('start the server and one local shell agent; print the dashboard URL'))
    .option('--no-agent', 'do not start the local shell agent')
    .option('--dashboard-ttl <seconds>', 'lifetime of the printed dashboard token', (v) => Number(v), 12 * 3600)
    .action(async (flags: ServerFlags & { agent: boolean; dashboardTtl: number }) => {
      const settings = settingsFrom(flags);
      // The printed lines are what a person reads here: the log only says more when asked to.
      const level = settings.logLevel === 'info' ? 'warn' : settings.logLevel;
      const backends = await openScaleOutBackends(settings);
      const server = await startServer({ ...serverOptionsFrom(settings), logLevel: level, logger: serverLogger(settings, level), ...(backends ?? {}) }).catch(async (err: unknown) => {
        await backends?.bus.close().catch(() => undefined);
        await backends?.store.close().catch(() => undefined);
        throw err;
      });
      const name = `local-${hostname()}`.replace(/[^A-Za-z0-9._:@-]/g, '-').slice(0, 100);
      const agent = flags.agent
        ? startAgent({ url: server.wsUrl, token: await server.issueToken('agent', name, YEAR_SECONDS), name })
        : undefined;
      const token = await server.issueToken('dashboard', process.env.USER || 'dashboard', flags.dashboardTtl);
      const lines = [
        '',
        'Onsembl is running.',
        `  Dashboard:  ${server.httpUrl}/?token=${token}`,
        `  WebSocket:  ${server.wsUrl}${Endpoint.dashboard}?token=${token}`,
        agent ? `  Agent:      ${name} (shell), connected to ${server.wsUrl}` : '  Agent:      none (--no-agent)',
        `  Health:     ${server.httpUrl}${Endpoint.health}`,
        '',
        'Another agent (its token in a file only you can read, never on the command line):',
        `  npx onsembl token --role agent --name NAME --out agent.token${settings.dataDir ? ` --data-dir ${settings.dataDir}` : ''}`,
        `  npx onsembl agent --url ${server.wsUrl} --name NAME --token-file agent.token`,
        '',
        'Press Ctrl+C to stop.',
        '',
      ];
      process.stdout.write(lines.join('\n'));
      const stop = onShutdown(async () => {
        await agent?.stop();
        await server.close();
      }, settings.shutdownTimeoutMs);
      stopWithNpm(stop);
    });
}
