// A real server started inside the test process (server/server.ts), on this run's database and storage (SQLite and
// the folder, or PostgreSQL and S3: helpers/server.ts), with its log captured instead of printed: for tests that
// read what it logs and measures without a child process.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../server/config.ts';
import type { Deps } from '../../server/deps.ts';
import { startServer } from '../../server/server.ts';
import { parseLogLine, type LogRecord } from './log-lines.ts';
import { backendEnvFor, releaseBackend } from './server.ts';

export interface InProcessServer {
  url: string;
  jwtSecret: string;
  adminKey: string;
  deps: Deps;
  /** Every line logged so far, exactly as it would have been printed. */
  output: string[];
  /** The same lines parsed (each must be one JSON object: parsing fails the test otherwise). */
  records(): LogRecord[];
  stop(): Promise<void>;
}

export async function startInProcessServer(env: Record<string, string> = {}): Promise<InProcessServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'avatar-in-process-'));
  const jwtSecret = randomBytes(32).toString('hex');
  const adminKey = randomBytes(24).toString('hex');
  const config = loadConfig(
    { port: '0', host: '127.0.0.1', 'data-dir': dataDir, dev: '1' },
    { AVATAR_JWT_SECRET: jwtSecret, AVATAR_ADMIN_KEY: adminKey, AVATAR_LOG_LEVEL: 'info', AVATAR_LOG_FORMAT: 'json', ...(await backendEnvFor(dataDir)), ...env },
  );
  const output: string[] = [];
  const server = await startServer(config, { logDestination: { write: (chunk) => void output.push(...chunk.split('\n').filter(Boolean)) } });
  return {
    url: server.url,
    jwtSecret,
    adminKey,
    deps: server.deps,
    output,
    records: () =>
      output.map((line) => {
        const record = parseLogLine(line);
        if (!record) throw new Error(`a log line that is not a JSON record: ${line}`);
        return record;
      }),
    async stop() {
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
      await releaseBackend(dataDir);
    },
  };
}
