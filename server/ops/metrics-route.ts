// GET /metrics: the Prometheus text format (telemetry/metrics.ts), for the admin key or AVATAR_METRICS_TOKEN (Bearer,
// or the Basic-auth password as Prometheus' basic_auth sends it). Mounted at /.
import { createRoute, z } from '@hono/zod-openapi';
import { requireAdmin } from '../access/auth.ts';
import type { Deps } from '../deps.ts';
import { adminSecurity, createRoutes, SITE } from '../http/routes.ts';
import { errors } from '../http/schemas.ts';

export function metricsRoutes(deps: Deps) {
  const app = createRoutes(deps, SITE);
  const { registry } = deps.metrics;
  app.openapi(
    createRoute({
      method: 'get',
      path: '/metrics',
      tags: ['Operations'],
      summary: 'Metrics in the Prometheus text format',
      description: 'For the admin key or AVATAR_METRICS_TOKEN, as Bearer or as the Basic-auth password. README "Operating it" lists each metric.',
      security: adminSecurity,
      middleware: [requireAdmin(deps.config.adminKey, deps.tokens, deps.config.metricsToken ? [deps.config.metricsToken] : [])],
      responses: {
        200: { description: 'The metrics', content: { [registry.contentType]: { schema: z.string() } } },
        ...errors('UNAUTHENTICATED', 'FORBIDDEN'),
      },
    }),
    async (c) => c.text(await registry.metrics(), 200, { 'Content-Type': registry.contentType, 'Cache-Control': 'no-store' }),
  );
  return app;
}
