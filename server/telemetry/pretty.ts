// AVATAR_LOG_FORMAT=pretty: the JSON lines of log.ts turned into one readable line each, for a terminal
// (`12:04:05.120 INFO  request GET /v1/uploads 201 12.3 ms alice  request_id=…`), an error's stack below it.
// Small on purpose: pino-pretty would bring a dozen packages for this.
import type { LogDestination } from './log.ts';

const LEVEL_COLOURS: Record<string, number> = { debug: 90, info: 36, warn: 33, error: 31, fatal: 31 };
/** Fields every line has, shown in fixed places rather than as key=value. */
const PLACED = new Set(['time', 'level', 'msg', 'pid', 'hostname', 'err']);

const paint = (colour: boolean, code: number, text: string) => (colour ? `\u001b[${code}m${text}\u001b[0m` : text);

function value(v: unknown): string {
  return typeof v === 'string' && /^[^\s"=]*$/.test(v) && v !== '' ? v : JSON.stringify(v);
}

/** One JSON log line as a readable one (a line that is not JSON is passed on as it is). */
export function prettyLine(json: string, colour: boolean): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const time = typeof record.time === 'string' ? record.time.slice(11, 23) : '';
  const level = String(record.level ?? '');
  const fields = Object.entries(record)
    .filter(([key, v]) => !PLACED.has(key) && v !== null && v !== undefined)
    .map(([key, v]) => `${paint(colour, 90, `${key}=`)}${value(v)}`)
    .join(' ');
  const err = record.err as { stack?: string; message?: string } | undefined;
  const stack = err ? `\n    ${(err.stack ?? err.message ?? '').split('\n').join('\n    ')}` : '';
  return `${paint(colour, 90, time)} ${paint(colour, LEVEL_COLOURS[level] ?? 0, level.toUpperCase().padEnd(5))} ${record.msg ?? ''}${fields ? `  ${fields}` : ''}${stack}\n`;
}

export function prettyDestination(out: LogDestination, colour: boolean): LogDestination {
  return { write: (chunk) => out.write(prettyLine(chunk.trimEnd(), colour)) };
}
