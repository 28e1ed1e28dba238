// /v1/admin/users/{user_id} and …/export: a person's data as a whole, for the host's backend — erasure (the account
// is deleted) and export (the person asks for their data).
import { Readable } from 'node:stream';
import { createRoute, z } from '@hono/zod-openapi';
import type { Deps } from '../deps.ts';
import { ADMIN, adminSecurity, createRoutes } from '../http/routes.ts';
import { UserIdParam, errors, json } from '../http/schemas.ts';
import { eraseUser } from './erasure.ts';
import { exportUser } from './export.ts';

const ErasureResult = z
  .object({
    user_id: z.string(),
    purge_url_prefixes: z.array(z.string()).openapi({
      description: 'Where their images were served from: purge every URL starting with one of these from a CDN in front of the bucket (or of /cdn). Empty once a repeat finds nothing left to do.',
    }),
  })
  .openapi('Erasure', {
    example: { user_id: 'alice', purge_url_prefixes: ['https://avatars.example.com/cdn/variants/r_xCeJh4E2-0qVDxzx/', 'https://avatars.example.com/cdn/variants/r_Qm3vW8pLk2Zt7Yx1/'] },
  });

/** Mounted at /v1/admin/users. */
export function adminPeopleRoutes(deps: Deps) {
  const app = createRoutes(deps, ADMIN);

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/{user_id}',
      tags: ['Admin'],
      summary:
        'Erase everything of a user: every row that names them and every object of theirs (uploads, variants, originals, cartoons, emotes and their trash, pending uploads and upload links, editor sessions, webhook events about them); sends user.deleted. Idempotent, and safe to repeat after a failure: repeat until it answers 200. For a few minutes after, writes for the user are refused (409 USER_ERASED)',
      security: adminSecurity,
      request: { params: UserIdParam },
      responses: { 200: json(ErasureResult, 'Erased (also when there was nothing to erase)'), ...errors('STORAGE_UNAVAILABLE') },
    }),
    async (c) => {
      const userId = c.req.valid('param').user_id;
      const { purgeUrlPrefixes } = await eraseUser(deps, userId);
      return c.json({ user_id: userId, purge_url_prefixes: purgeUrlPrefixes }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{user_id}/export',
      tags: ['Admin'],
      summary:
        "Everything of a user as a ZIP, streamed: uploads/<file_id>/original.<ext> and <size>.<ext> (current variants), cartoons/<id>/<size>.<ext>, and manifest.json (last): the user, files, cartoons and emotes (trash included) as the API shows them, each with where its images are in the archive",
      security: adminSecurity,
      request: { params: UserIdParam },
      responses: {
        200: { description: 'The archive (ZIP64 when over 4 GiB)', content: { 'application/zip': { schema: z.string().openapi({ format: 'binary' }) } } },
        ...errors('STORAGE_UNAVAILABLE'),
      },
    }),
    async (c) => {
      const userId = c.req.valid('param').user_id;
      const archive = await exportUser(deps, userId);
      // The response ending early (the client went away) ends the archive's reads with it.
      c.req.raw.signal.addEventListener('abort', () => archive.destroy(), { once: true });
      return c.body(Readable.toWeb(archive) as ReadableStream, 200, {
        'Content-Type': 'application/zip',
        'Content-Disposition': `attachment; filename="avatar-data-${userId.replace(/[^A-Za-z0-9_.@-]/g, '_')}.zip"`,
        'Cache-Control': 'no-store',
      });
    },
  );
  return app;
}
