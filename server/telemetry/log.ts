// The server's log: pino, one JSON object per line on stdout (AVATAR_LOG_FORMAT=json, the default outside dev
// mode), or the same lines made readable for a terminal (pretty, the default in dev mode; pretty.ts). A request's
// lines carry its `request_id` (request-scope.ts). Secrets never reach the output: every line is scrubbed of the
// configured secrets, of fields named for a credential, and of anything shaped like a token, a webhook secret or a
// URL signature.
import pino from 'pino';
import { prettyDestination } from './pretty.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'json' | 'pretty';

export type Logger = pino.Logger;

/** Where lines go: stdout unless given (tests read them). */
export interface LogDestination {
  write(line: string): void;
}

export interface LoggerOptions {
  level: LogLevel;
  format: LogFormat;
  /** Values never to print (the JWT secret, the admin key, …): replaced wherever they appear in a line. */
  secrets: Array<string | null | undefined>;
  destination?: LogDestination;
  /** Pretty lines in colour (a terminal that did not ask for NO_COLOR). */
  colour?: boolean;
}

const CENSORED = '[REDACTED]';
/** Log bytes held while stdout does not keep up, before lines are dropped rather than memory grown. */
const MAX_BUFFERED = 16 * 1024 * 1024;

/**
 * Credentials by their shape, wherever they appear in a line (a message, an error's text or stack). Fields named
 * for a credential are censored here too, at any depth, rather than by pino's `redact`: its wildcard paths cost
 * ~30 µs a line, about five times all the rest of the line costs (measured with pino 10 here).
 */
const SECRET_SHAPES: Array<[RegExp, string]> = [
  // A string field named for a credential (`authorization`, `cookie`, `access_token`, `jwt_secret`, …).
  [/"((?:[\w-]*[_-])?(?:authorization|cookie|token|secret|password|signature))":"(?:[^"\\]|\\.)*"/gi, `"$1":"${CENSORED}"`],
  [/\b(Bearer|Basic)\s+[^\s"\\,;]+/gi, `$1 ${CENSORED}`],
  // A JWT: three base64url parts, the first two JSON objects.
  [/\beyJ[\w-]{4,}\.eyJ[\w-]{4,}\.[\w-]*/g, CENSORED],
  [/\bwhsec_[A-Za-z0-9+/=]+/g, `whsec_${CENSORED}`],
  // A signed URL's query (ours: signature and expires; S3's: X-Amz-*), and a token in a query string.
  [/([?&](?:signature|sig|expires|token|x-amz-[a-z0-9-]+)=)[^&\s"\\#]+/gi, `$1${CENSORED}`],
  // The password of a postgres:// URL.
  [/(\bpostgres(?:ql)?:\/\/[^:/\s"@]+:)[^@\s"]+@/gi, `$1${CENSORED}@`],
];

/** A function that removes `secrets` (as written, and as JSON escapes them) and SECRET_SHAPES from a line. */
export function createScrubber(secrets: Array<string | null | undefined>): (line: string) => string {
  // Short values would censor ordinary words; every secret the configuration accepts is at least 16 characters.
  const literals = [...new Set(secrets.filter((s): s is string => typeof s === 'string' && s.length >= 8).flatMap((s) => [s, JSON.stringify(s).slice(1, -1)]))];
  return (line) => {
    let clean = line;
    for (const literal of literals) if (clean.includes(literal)) clean = clean.replaceAll(literal, CENSORED);
    for (const [shape, replacement] of SECRET_SHAPES) clean = clean.replace(shape, replacement);
    return clean;
  };
}

export function createLogger({ level, format, secrets, destination, colour = false }: LoggerOptions): Logger {
  // Written asynchronously (what is logged while a write is under way goes out with the next one; pino flushes it
  // on exit), so a slow reader of stdout slows nothing; past MAX_BUFFERED bytes waiting, lines are dropped.
  const out = destination ?? pino.destination({ dest: 1, sync: false, maxLength: MAX_BUFFERED });
  return pino(
    {
      level,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      hooks: { streamWrite: createScrubber(secrets) },
    },
    format === 'pretty' ? prettyDestination(out, colour) : out,
  );
}
