import { randomBytes } from 'node:crypto';

/** Opaque, unguessable ids: a short type prefix and 96 random bits. */
export const newId = (prefix: 'f' | 'r' | 'e' | 'wh' | 'msg' | 'dlv') => `${prefix}_${randomBytes(12).toString('base64url')}`;
