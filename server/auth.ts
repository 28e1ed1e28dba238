// User tokens (HS256 JWT), the admin key, and the middleware that puts the caller on the context.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { ApiError } from './errors.ts';

export const USER_ID = /^[A-Za-z0-9_.:@-]{1,128}$/;

export type AuthEnv = { Variables: { userId: string } };
export type OptionalAuthEnv = { Variables: { userId: string | null } };

const unauthenticated = (why: string) => new ApiError(401, 'UNAUTHENTICATED', why);

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function hmac(secret: string, data: string): string {
  return createHmac('sha256', secret).update(data).digest('base64url');
}

function decodeJson(part: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export function signUserToken(secret: string, userId: string, expiresAt: number): string {
  const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
  const payload = Buffer.from(JSON.stringify({ sub: userId, exp: expiresAt, iat: Math.floor(Date.now() / 1000) })).toString('base64url');
  return `${header}.${payload}.${hmac(secret, `${header}.${payload}`)}`;
}

/** Returns the user id of a valid token; throws 401 otherwise. Only HS256 is accepted, and `exp` is required. */
export function verifyUserToken(secret: string, token: string, now: number): string {
  const parts = token.split('.');
  if (parts.length !== 3) throw unauthenticated('Malformed token');
  const [headerPart, payloadPart, signature] = parts as [string, string, string];
  const header = decodeJson(headerPart);
  if (!header || header.alg !== 'HS256') throw unauthenticated('Token must be signed with HS256');
  if (!safeEqual(signature, hmac(secret, `${headerPart}.${payloadPart}`))) throw unauthenticated('Token signature is invalid');
  const payload = decodeJson(payloadPart);
  if (!payload) throw unauthenticated('Malformed token');
  if (typeof payload.exp !== 'number') throw unauthenticated('Token has no exp claim');
  if (payload.exp <= now) throw unauthenticated('Token has expired');
  if (typeof payload.nbf === 'number' && payload.nbf > now) throw unauthenticated('Token is not valid yet');
  if (typeof payload.sub !== 'string' || !USER_ID.test(payload.sub)) throw unauthenticated('Token sub must be 1-128 characters of A-Za-z0-9_.:@-');
  return payload.sub;
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

export function requireUser(secret: string, clock: () => number): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const token = bearer(c.req.header('authorization'));
    if (!token) throw unauthenticated('Authorization: Bearer <token> is required');
    c.set('userId', verifyUserToken(secret, token, clock()));
    await next();
  };
}

/** Admin key as Bearer or as the Basic-auth password. A valid user token gets 403, anything else 401. */
export function requireAdmin(adminKey: string, jwtSecret: string, clock: () => number): MiddlewareHandler {
  return async (c, next) => {
    const header = c.req.header('authorization');
    const presented = bearer(header) ?? basicPassword(header);
    if (presented !== null && safeEqual(presented, adminKey)) return next();
    if (presented !== null) {
      try {
        verifyUserToken(jwtSecret, presented, clock());
      } catch {
        throw unauthenticated('Admin key is invalid');
      }
      throw new ApiError(403, 'FORBIDDEN', 'A user token cannot call admin routes');
    }
    throw unauthenticated('Admin key is required (Bearer or Basic auth)');
  };
}

/** For routes anyone may call: a valid token identifies the caller, a bad one is still 401, none means anonymous. */
export function optionalUser(secret: string, clock: () => number): MiddlewareHandler<OptionalAuthEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization');
    if (header === undefined) {
      c.set('userId', null);
      return next();
    }
    const token = bearer(header);
    if (!token) throw unauthenticated('Authorization must be Bearer <token>');
    c.set('userId', verifyUserToken(secret, token, clock()));
    await next();
  };
}
