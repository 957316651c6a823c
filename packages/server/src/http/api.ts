import type { IncomingMessage, ServerResponse } from 'node:http';
import { Role } from '@onsembl/protocol';
import { DependencyError } from '../core/watch-ports.js';
import type { SessionContext } from '../sessions/session-context.js';
import { getCommand, getOutput, listCommands } from './command-history.js';
import { getTrace } from './command-trace.js';
import { getUsage } from './usage.js';
import { clientAddress } from '../transport/forwarded.js';
import { HttpError, intParam, sendJson } from './http-reply.js';

const COMMAND_ROUTE = /^\/api\/commands\/([A-Za-z0-9._:@-]{1,128})(\/output|\/trace)?$/;

/**
 * The REST API (docs/api.md): history and audit, read-only, with the dashboard's JWT as a Bearer
 * token. Returns false for paths that are not the API's.
 */
export async function handleApi(ctx: SessionContext, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (!url.pathname.startsWith('/api/')) return false;
  try {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'the API is read-only: use GET');
    const header = req.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    const verified = token ? await ctx.tokens.verify(token, Role.dashboard) : { ok: false as const, reason: 'no Bearer token' };
    if (!verified.ok) {
      ctx.audit.record({ actor: '-', role: 'anonymous', action: 'auth.failed', detail: { endpoint: 'api', reason: verified.reason }, remote: clientAddress(req, ctx.options.trustProxy) });
      res.setHeader('WWW-Authenticate', 'Bearer');
      throw new HttpError(401, `authentication failed: ${verified.reason}`);
    }
    const { store } = ctx;
    const match = COMMAND_ROUTE.exec(url.pathname);
    if (url.pathname === '/api/agents') sendJson(res, 200, { agents: ctx.registry.list() });
    else if (url.pathname === '/api/commands') await listCommands(store, url, res);
    else if (match?.[2] === '/output') {
      await ctx.scheduler.flushOutput(); // what dashboards were sent is readable at once
      await getOutput(store, match[1] as string, url, res);
    } else if (match?.[2] === '/trace') {
      await ctx.scheduler.flushTrace();
      await getTrace(store, match[1] as string, url, res);
    }
    else if (match) await getCommand(store, match[1] as string, res);
    else if (url.pathname === '/api/usage') {
      await ctx.scheduler.flushTrace(); // usage totals come from stored usage events
      await getUsage(store, url, res);
    } else if (url.pathname === '/api/audit') {
      const filter = {
        since: intParam(url, 'since'), until: intParam(url, 'until'), beforeId: intParam(url, 'before'),
        limit: intParam(url, 'limit', 1, 1000), actor: url.searchParams.get('actor') ?? undefined,
        action: url.searchParams.get('action') ?? undefined,
      };
      await ctx.audit.flush();
      sendJson(res, 200, { entries: await store.listAudit(filter) });
    } else throw new HttpError(404, 'no such API route');
  } catch (err) {
    if (err instanceof HttpError) sendJson(res, err.status, { error: err.message });
    else if (err instanceof DependencyError && !res.headersSent) {
      res.setHeader('Retry-After', '2');
      sendJson(res, 503, { error: `the server's ${err.dependency} is failing: try again shortly` });
    }
    else {
      ctx.logger.error({ err }, 'API request failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.destroy();
    }
  }
  return true;
}
