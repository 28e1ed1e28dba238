// Pages of a list, newest first: the `limit` and `cursor` query parameters, with one wording of their errors
// (400 INVALID_LIMIT, 400 INVALID_CURSOR) for every list.
import { ApiError } from './errors.ts';

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 500;

/** `limit` as given in the query: 1-500, default 100; anything else is 400 INVALID_LIMIT. */
export function parseLimit(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_LIMIT;
  const limit = /^\d{1,4}$/.test(raw) ? Number(raw) : NaN;
  if (!(limit >= 1 && limit <= MAX_LIMIT)) throw new ApiError('INVALID_LIMIT', `limit must be a whole number from 1 to ${MAX_LIMIT}`);
  return limit;
}

/** A cursor is a position in a list, as opaque base64url text: `tag:` and the position's parts. */
export function encodeCursor(tag: string, ...parts: Array<string | number>): string {
  return Buffer.from([tag, ...parts].join(':')).toString('base64url');
}

/** The parts of a cursor this server handed out for the list `tag` (matched by `pattern`); else 400 INVALID_CURSOR. */
export function decodeCursor(tag: string, cursor: string, pattern: RegExp): RegExpExecArray {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = text.startsWith(`${tag}:`) ? pattern.exec(text.slice(tag.length + 1)) : null;
  if (!match) throw new ApiError('INVALID_CURSOR', 'The cursor is not one this server handed out');
  return match;
}
