// Hosted editor sessions (POST /v1/admin/sessions): a page on this server that runs <avatar-editor> for one user
// until the session expires. The session id is the credential (192 random bits, base64url), so only its SHA-256
// is stored. The page gets a user token that expires with the session.
import { createHash, randomBytes } from 'node:crypto';
import type { Deps } from '../deps.ts';
import type { EditorSessionRow } from '../db/schema.ts';
import { ApiError } from '../http/errors.ts';
import { editorUrl } from '../http/urls.ts';
import { beginUserWrite } from '../people/user-lock.ts';

export const DEFAULT_SESSION_TTL = 3600;
/** An expired session answers 410 for this long; then it is purged and answers 404, like an unknown one. */
export const EXPIRED_SESSIONS_KEPT_SECONDS = 7 * 24 * 3600;
/** What a session id looks like (24 random bytes, base64url). */
const SESSION_ID = /^[A-Za-z0-9_-]{32}$/;

const hashOf = (sessionId: string) => createHash('sha256').update(sessionId).digest('base64url');

export interface NewEditorSession {
  user_id: string;
  type: 'edit-existing' | 'create';
  ttl_seconds?: number | undefined;
  return_url?: string | undefined;
  locale?: string | undefined;
}

/** A return_url is http(s) on one of the allowed origins: the page must never become an open redirect. */
function checkReturnUrl(deps: Deps, raw: string): string {
  const invalid = (why: string) => new ApiError('INVALID_REQUEST', `return_url: ${why}`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid('must be an absolute http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid('must be an http(s) URL');
  if (url.username || url.password) throw invalid('must not carry a user name or password');
  const allowed = deps.config.allowedOrigins;
  if (!allowed.includes('*') && !allowed.includes(url.origin)) {
    throw new ApiError('RETURN_URL_NOT_ALLOWED', `return_url: ${url.origin} is not one of the origins in AVATAR_ALLOWED_ORIGINS`);
  }
  return url.href;
}

export async function createEditorSession(deps: Deps, input: NewEditorSession) {
  const returnUrl = input.return_url === undefined ? null : checkReturnUrl(deps, input.return_url);
  const sessionId = randomBytes(24).toString('base64url');
  const now = deps.clock();
  const expiresAt = now + (input.ttl_seconds ?? DEFAULT_SESSION_TTL);
  // Creating sessions is what fills the table, so it is also where long-expired ones are cleared out.
  await deps.db.deleteFrom('editor_sessions').where('expires_at', '<', now - EXPIRED_SESSIONS_KEPT_SECONDS).execute();
  await deps.db.transaction().execute(async (trx) => {
    await beginUserWrite(trx, input.user_id, now);
    await trx
      .insertInto('editor_sessions')
      .values({ id_hash: hashOf(sessionId), user_id: input.user_id, type: input.type, return_url: returnUrl, locale: input.locale ?? null, created_at: now, expires_at: expiresAt })
      .execute();
  });
  return { session_id: sessionId, url: editorUrl(deps, sessionId), expires_at: expiresAt };
}

export type OpenedSession =
  | { state: 'open'; session: EditorSessionRow; token: string }
  | { state: 'expired' }
  | { state: 'unknown' };

/** The session behind an editor page, with a user token that expires with it. */
export async function openEditorSession(deps: Deps, sessionId: string): Promise<OpenedSession> {
  if (!SESSION_ID.test(sessionId)) return { state: 'unknown' };
  const session = await deps.db.selectFrom('editor_sessions').selectAll().where('id_hash', '=', hashOf(sessionId)).executeTakeFirst();
  if (!session) return { state: 'unknown' };
  if (session.expires_at <= deps.clock()) return { state: 'expired' };
  return { state: 'open', session, token: await deps.tokens.sign(session.user_id, session.expires_at) };
}
