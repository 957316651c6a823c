import type { IncomingMessage, ServerResponse } from 'node:http';
import { Endpoint } from '@onsembl/protocol';
import type { SessionContext } from '../sessions/session-context.js';
import { handleApi } from './api.js';
import { serveMetrics, type ServerMetrics } from './metrics.js';
import { sendJson } from './http-reply.js';
import { serveStatic } from './static-files.js';

export interface HttpStats {
  dashboards(): number;
  agents(): number;
}

/** Plain HTTP: health, metrics, the REST API, and the dashboard's static files. */
export function createRequestHandler(ctx: SessionContext, stats: HttpStats, webRoot: string | undefined, metrics?: ServerMetrics) {
  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === Endpoint.health) {
      const ok = ctx.health.ok;
      // 503 while the store or the bus fails, naming which (a load balancer takes the node out).
      sendJson(res, ok ? 200 : 503, {
        status: ok ? 'ok' : 'unavailable', version: ctx.serverVersion, epoch: ctx.store.epoch,
        ...(ctx.nodeId === undefined ? {} : { node: ctx.nodeId }),
        dashboards: stats.dashboards(), agents: stats.agents(),
        ...(ok ? {} : { down: ctx.health.report() }),
      });
      return;
    }
    if (path === Endpoint.metrics && metrics) return serveMetrics(req, res, metrics, ctx.tokens, ctx.options.metricsAuth);
    if (await handleApi(ctx, req, res)) return;
    if (webRoot && serveStatic(webRoot, req, res)) return;
    if (path === '/' && !webRoot) {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('Onsembl server. The web dashboard is not built: run `npm run build`.\n');
      return;
    }
    sendJson(res, 404, { error: 'not found' });
  };
  return (req: IncomingMessage, res: ServerResponse): void => {
    serve(req, res).catch((err: unknown) => {
      ctx.logger.error({ err }, 'HTTP request failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  };
}
