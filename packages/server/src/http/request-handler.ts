import type { IncomingMessage, ServerResponse } from 'node:http';
import { Endpoint } from '@onsembl/protocol';
import type { SessionContext } from '../sessions/session-context.js';
import { serveStatic } from './static-files.js';

export interface HttpStats {
  dashboards(): number;
  agents(): number;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store' });
  res.end(text);
}

/** Plain HTTP: health, the dashboard's static files, and (later) the REST API. */
export function createRequestHandler(ctx: SessionContext, stats: HttpStats, webRoot: string | undefined) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === Endpoint.health) {
      json(res, 200, {
        status: 'ok', version: ctx.serverVersion, epoch: ctx.store.epoch,
        dashboards: stats.dashboards(), agents: stats.agents(),
      });
      return;
    }
    try {
      if (webRoot && serveStatic(webRoot, req, res)) return;
    } catch (err) {
      ctx.logger.error({ err }, 'static file failed');
    }
    if (path === '/' && !webRoot) {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('Onsembl server. The web dashboard is not built: run `npm run build`.\n');
      return;
    }
    json(res, 404, { error: 'not found' });
  };
}
