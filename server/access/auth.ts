// Who is calling: the middleware that puts a verified user (tokens.ts) or the admin on the context.
import { timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { ApiError } from '../http/errors.ts';
import type { Tokens } from './tokens.ts';

export { USER_ID } from './tokens.ts';

export type AuthEnv = { Variables: { userId: string } };
export type OptionalAuthEnv = { Variables: { userId: string | null } };

const unauthenticated = (why: string) => new ApiError('UNAUTHENTICATED', why);

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function bearer(header: string | undefined): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match ? match[1]! : null;
}

function basicPassword(header: string | undefined): string | null {
  const match = /^Basic\s+(\S+)\s*$/i.exec(header ?? '');
  if (!match) return null;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? null : decoded.slice(colon + 1);
}

export function requireUser(tokens: Tokens): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const token = bearer(c.req.header('authorization'));
    if (!token) throw unauthenticated('Authorization: Bearer <token> is required');
    c.set('userId', await tokens.verify(token));
    await next();
  };
}

/**
 * Admin key as Bearer or as the Basic-auth password (or one of `alsoAccepted`: a key for one purpose, such as
 * AVATAR_METRICS_TOKEN). A valid user token gets 403, anything else 401.
 */
export function requireAdmin(adminKey: string, tokens: Tokens, alsoAccepted: string[] = []): MiddlewareHandler {
  const keys = [adminKey, ...alsoAccepted];
  return async (c, next) => {
    const header = c.req.header('authorization');
    const presented = bearer(header) ?? basicPassword(header);
    // Every key is compared, so the time taken does not tell which one came close.
    if (presented !== null && keys.map((key) => safeEqual(presented, key)).includes(true)) return next();
    if (presented !== null) {
      try {
        await tokens.verify(presented);
      } catch {
        throw unauthenticated('Admin key is invalid');
      }
      throw new ApiError('FORBIDDEN', 'A user token cannot call admin routes');
    }
    throw unauthenticated('Admin key is required (Bearer or Basic auth)');
  };
}

/** For routes anyone may call: a valid token identifies the caller, a bad one is still 401, none means anonymous. */
export function optionalUser(tokens: Tokens): MiddlewareHandler<OptionalAuthEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization');
    if (header === undefined) {
      c.set('userId', null);
      return next();
    }
    const token = bearer(header);
    if (!token) throw unauthenticated('Authorization must be Bearer <token>');
    c.set('userId', await tokens.verify(token));
    await next();
  };
}
