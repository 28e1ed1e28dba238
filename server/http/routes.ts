// The Hono app type shared by every route module.
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AuthEnv } from '../access/auth.ts';

export type App = OpenAPIHono<AuthEnv>;

/** OpenAPI security requirement for routes that take a user token. */
export const userSecurity = [{ userToken: [] }];
/** OpenAPI security requirement for admin routes. */
export const adminSecurity = [{ adminKey: [] }];
