// The HTTP application: each feature's sub-app mounted at its path, and the single error funnel. No I/O of its own.
// A sub-app's routes carry their own CORS class, body limit and auth (http/routes.ts), so the order of the mounts
// below does not matter, and adding a feature is one line here.
import { OpenAPIHono } from '@hono/zod-openapi';
import type { AuthEnv } from './access/auth.ts';
import { devTokenRoutes, tokenRoutes } from './access/token-routes.ts';
import { adminAvatarRoutes } from './avatars/admin-routes.ts';
import { cartoonAvatarRoutes, cartoonRoutes } from './avatars/cartoon-routes.ts';
import { avatarListRoutes, userRoutes } from './avatars/routes.ts';
import type { Deps } from './deps.ts';
import { editorPageRoutes, editorSessionRoutes } from './editor/routes.ts';
import { messageRoutes } from './emotes/message-routes.ts';
import { emoteRoutes } from './emotes/routes.ts';
import { ApiError, renderError } from './http/errors.ts';
import type { App } from './http/routes.ts';
import { metricsRoutes } from './ops/metrics-route.ts';
import { openApiDocument, opsRoutes } from './ops/routes.ts';
import { adminPeopleRoutes } from './people/routes.ts';
import { widgetRoutes } from './ops/widget-files.ts';
import { fileRoutes, userFileRoutes } from './uploads/file-routes.ts';
import { uploadLinkRoutes } from './uploads/link-routes.ts';
import { uploadRoutes } from './uploads/routes.ts';
import { recordRoute } from './telemetry/request-log.ts';
import { webhookRoutes } from './webhooks/routes.ts';

export function createApp(deps: Deps): App {
  const app = new OpenAPIHono<AuthEnv>();
  app.use(recordRoute());
  app.route('/v1/uploads', uploadRoutes(deps));
  app.route('/v1/files', fileRoutes(deps));
  app.route('/v1/users', userRoutes(deps));
  app.route('/v1/users', cartoonAvatarRoutes(deps));
  app.route('/v1/users', userFileRoutes(deps));
  app.route('/v1/avatars', avatarListRoutes(deps));
  app.route('/v1/avatar-config', cartoonRoutes(deps));
  app.route('/v1/emotes', emoteRoutes(deps));
  app.route('/v1/messages', messageRoutes(deps));
  app.route('/v1/admin/tokens', tokenRoutes(deps));
  app.route('/v1/admin/users', adminAvatarRoutes(deps));
  app.route('/v1/admin/users', adminPeopleRoutes(deps));
  app.route('/v1/admin/avatars', uploadLinkRoutes(deps));
  app.route('/v1/admin/webhooks', webhookRoutes(deps));
  app.route('/v1/admin/sessions', editorSessionRoutes(deps));
  app.route('/editor', editorPageRoutes(deps));
  app.route('/widget', widgetRoutes(deps));
  if (deps.config.dev) app.route('/v1/dev', devTokenRoutes(deps));
  // /cdn/ is answered in front of Hono, by its own listener (cdn/listener.ts); ops documents it.
  app.route('/', metricsRoutes(deps));
  app.route('/', opsRoutes(deps, () => openApiDocument(app, deps.config.dev)));

  app.notFound((c) => renderError(new ApiError('NOT_FOUND', `No route for ${c.req.method} ${c.req.path}`), c, deps.log));
  app.onError((err, c) => renderError(err, c, deps.log));
  return app;
}
