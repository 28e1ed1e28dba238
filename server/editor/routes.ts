// Hosted editor sessions: POST /v1/admin/sessions creates one; GET /editor/{session_id} is its page, embeddable as
// an iframe on the allowed origins only.
import { createRoute, z } from '@hono/zod-openapi';
import { randomBytes } from 'node:crypto';
import type { Deps } from '../deps.ts';
import { ADMIN, adminSecurity, createRoutes, SITE } from '../http/routes.ts';
import { errors, json } from '../http/schemas.ts';
import { editorPageHtml, pageHeaders, pageLocale, sessionErrorPage } from './page.ts';
import { EditorSessionBody, EditorSessionCreated, EditorSessionParam } from './schemas.ts';
import { createEditorSession, openEditorSession } from './sessions.ts';

const html = (description: string) => ({ description, content: { 'text/html': { schema: z.string() } } });

/** Mounted at /v1/admin/sessions. */
export function editorSessionRoutes(deps: Deps) {
  const app = createRoutes(deps, ADMIN);
  app.openapi(
    createRoute({
      method: 'post',
      path: '/',
      tags: ['Admin'],
      summary: 'A hosted editor page for one user (open it, or frame it on an allowed origin); it tells the opener by postMessage',
      security: adminSecurity,
      request: { body: { required: true, content: { 'application/json': { schema: EditorSessionBody } } } },
      responses: { 201: json(EditorSessionCreated, 'Session created'), ...errors('RETURN_URL_NOT_ALLOWED', 'USER_ERASED') },
    }),
    async (c) => c.json(await createEditorSession(deps, c.req.valid('json')), 201),
  );
  return app;
}

/** Mounted at /editor. */
export function editorPageRoutes(deps: Deps) {
  const app = createRoutes(deps, SITE);

  // An HTML page, not JSON: described in the document, routed by hand.
  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/{session_id}',
    tags: ['Editor'],
    summary: "A session's editor page: <avatar-editor> for its user; posts {type: \"avatar-changed\", detail} to the opener or parent after a save",
    request: { params: EditorSessionParam },
    responses: { 200: html('The editor'), 404: html('Unknown session'), 410: html('Expired session') },
  });
  app.handle(['GET'], '/:session_id', null, async (c) => {
    const opened = await openEditorSession(deps, c.req.param('session_id'));
    const { allowedOrigins } = deps.config;
    const ownOrigin = new URL(deps.baseUrl()).origin;
    const acceptLanguage = c.req.header('accept-language');
    if (opened.state !== 'open') {
      const page = sessionErrorPage(opened.state, pageLocale(null, acceptLanguage));
      return c.body(page.html, page.status, pageHeaders(allowedOrigins, ownOrigin, null));
    }
    const nonce = randomBytes(16).toString('base64');
    const { session, token } = opened;
    const body = editorPageHtml({
      nonce,
      token,
      type: session.type,
      returnUrl: session.return_url,
      messageOrigins: allowedOrigins.includes('*') ? null : allowedOrigins,
      locale: pageLocale(session.locale, acceptLanguage),
    });
    return c.body(body, 200, pageHeaders(allowedOrigins, ownOrigin, nonce, deps.storage.browserOrigins()));
  });
  return app;
}
