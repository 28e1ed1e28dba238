// The server's log lines (JSON, AVATAR_LOG_FORMAT=json) as tests and benchmarks read them: each record parsed, and
// its text (the message, and an error's message after it) for matching as the old plain lines were matched.

export interface LogRecord {
  level: string;
  msg: string;
  err?: { type?: string; message?: string; stack?: string };
  [field: string]: unknown;
}

/** A line parsed as a log record; null when it is not one (a crash's stack trace printed by Node itself). */
export function parseLogLine(line: string): LogRecord | null {
  if (!line.startsWith('{')) return null;
  try {
    const record = JSON.parse(line) as LogRecord;
    return typeof record.msg === 'string' ? record : null;
  } catch {
    return null;
  }
}

/** `job finished 3 f_… ready`, or `cleanup: … failed: AccessDenied …` for a record with an error. */
export function logText(line: string): string {
  const record = parseLogLine(line);
  if (!record) return line;
  return record.err?.message ? `${record.msg}: ${record.err.message}` : record.msg;
}
