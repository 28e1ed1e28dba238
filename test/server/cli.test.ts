// The avatar-server command line: --help, configuration errors, dev mode, and the built dist/ CLI.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { logText, parseLogLine, type LogRecord } from '../helpers/log-lines.ts';
import { api, runCli, signJwt, startServer, type RunningServer } from '../helpers/server.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const builtCli = join(root, 'dist', 'server', 'cli.js');
const now = () => Math.floor(Date.now() / 1000);
const goodSecret = randomBytes(32).toString('hex');
const goodAdminKey = randomBytes(24).toString('hex');

const tempDirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'avatar-cli-test-'));
  tempDirs.push(dir);
  return dir;
}

after(async () => {
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('avatar-server --help', () => {
  test('exits 0 and prints usage with every flag', async () => {
    const { code, output } = await runCli(['--help']);
    assert.equal(code, 0, output);
    assert.match(output, /^Usage: avatar-server/m);
    for (const flag of ['--port', '--host', '--data-dir', '--dev', '--help']) assert.ok(output.includes(flag), `usage mentions ${flag}:\n${output}`);
    assert.doesNotMatch(output, /listening on/);
  });
});

describe('bad configuration stops start-up with one line naming the variable', () => {
  // A port this process holds, for the "port in use" case.
  let busy: Server | undefined;
  let busyPort = 0;
  const cases: Array<{ name: string; args?: () => string[]; env: Record<string, string>; names: string[]; duringStart?: true }> = [
    { name: 'AVATAR_JWT_SECRET missing (no --dev)', env: { AVATAR_ADMIN_KEY: goodAdminKey }, names: ['AVATAR_JWT_SECRET'] },
    { name: 'AVATAR_JWT_SECRET too short', env: { AVATAR_JWT_SECRET: 'short-secret', AVATAR_ADMIN_KEY: goodAdminKey }, names: ['AVATAR_JWT_SECRET'] },
    { name: 'AVATAR_ADMIN_KEY too short', env: { AVATAR_JWT_SECRET: goodSecret, AVATAR_ADMIN_KEY: 'abc' }, names: ['AVATAR_ADMIN_KEY'] },
    { name: 'PORT=abc', env: { AVATAR_JWT_SECRET: goodSecret, AVATAR_ADMIN_KEY: goodAdminKey, PORT: 'abc' }, names: ['PORT'] },
    { name: '--dev with NODE_ENV=production', args: () => ['--dev'], env: { NODE_ENV: 'production' }, names: ['--dev', 'NODE_ENV'] },
    { name: 'DATABASE_URL=mysql://x', env: { AVATAR_JWT_SECRET: goodSecret, AVATAR_ADMIN_KEY: goodAdminKey, DATABASE_URL: 'mysql://x' }, names: ['DATABASE_URL'] },
    { name: 'AVATAR_STORAGE=ftp', env: { AVATAR_JWT_SECRET: goodSecret, AVATAR_ADMIN_KEY: goodAdminKey, AVATAR_STORAGE: 'ftp' }, names: ['AVATAR_STORAGE'] },
    { name: 'AVATAR_STORAGE=s3 without AVATAR_S3_BUCKET', env: { AVATAR_JWT_SECRET: goodSecret, AVATAR_ADMIN_KEY: goodAdminKey, AVATAR_STORAGE: 's3' }, names: ['AVATAR_S3_BUCKET', 'AVATAR_STORAGE=s3'] },
    { name: 'AVATAR_PUBLIC_URL not a URL', env: { AVATAR_JWT_SECRET: goodSecret, AVATAR_ADMIN_KEY: goodAdminKey, AVATAR_PUBLIC_URL: 'not a url' }, names: ['AVATAR_PUBLIC_URL'] },
    { name: 'unknown flag', args: () => ['--frobnicate'], env: { AVATAR_JWT_SECRET: goodSecret, AVATAR_ADMIN_KEY: goodAdminKey }, names: ['--frobnicate'] },
    {
      name: 'a --port already in use',
      args: () => ['--port', String(busyPort)],
      env: { AVATAR_JWT_SECRET: goodSecret, AVATAR_ADMIN_KEY: goodAdminKey },
      names: ['port'],
      duringStart: true,
    },
    {
      name: 'a --data-dir that cannot be created',
      args: () => ['--data-dir', join(notADirectory, 'sub')],
      env: { AVATAR_JWT_SECRET: goodSecret, AVATAR_ADMIN_KEY: goodAdminKey },
      names: ['--data-dir'],
      duringStart: true,
    },
  ];
  let notADirectory = '';
  const results = new Map<string, { dataDir: string; result: PromiseSettledResult<{ code: number | null; output: string }> }>();

  // Each run loads the whole server, so the runs go a few at a time in parallel and the tests check the outcomes.
  before(async () => {
    busy = createServer();
    await new Promise<void>((resolve) => busy!.listen(0, '127.0.0.1', resolve));
    busyPort = (busy.address() as AddressInfo).port;
    notADirectory = join(await tempDir(), 'a-file');
    await writeFile(notADirectory, 'not a directory');
    const queue = [...cases];
    const worker = async () => {
      for (let c = queue.shift(); c; c = queue.shift()) {
        const dataDir = await tempDir();
        // Every run gets its own data dir and, unless it is about the port, --port 0: a configuration the
        // server wrongly accepts cannot collide with anything (runCli then stops it).
        const port = c.env.PORT === undefined ? ['--port', '0'] : [];
        const [settled] = await Promise.allSettled([runCli([...port, '--data-dir', dataDir, ...(c.args?.() ?? [])], c.env)]);
        results.set(c.name, { dataDir, result: settled! });
      }
    };
    await Promise.all([worker(), worker(), worker()]);
  });
  after(async () => {
    await new Promise<void>((resolve) => (busy ? busy.close(() => resolve()) : resolve()));
  });

  for (const c of cases) {
    test(c.name, () => {
      const entry = results.get(c.name);
      assert.ok(entry, 'the run did not happen');
      if (entry.result.status === 'rejected') throw entry.result.reason;
      const { code, output } = entry.result.value;
      assert.notEqual(code, 0, output);
      assert.notEqual(code, null, output);
      const lines = output.split('\n').filter((line) => line.trim() !== '');
      assert.equal(lines.length, 1, `exactly one line expected:\n${output}`);
      const line = lines[0]!;
      assert.match(line, /^avatar-server: /);
      for (const name of c.names) assert.ok(line.includes(name), `line should name ${name}: ${line}`);
      // Secrets given in the environment never end up in the message.
      assert.ok(!line.includes(goodSecret) && !line.includes(goodAdminKey), line);
      // Configuration refused before anything was set up: no dev secrets, no database. (A busy port or an
      // unusable data dir is only found out while starting, so those cases are exempt.)
      if (!c.duringStart) {
        assert.equal(existsSync(join(entry.dataDir, 'dev-secrets.json')), false);
        assert.equal(existsSync(join(entry.dataDir, 'avatar.db')), false);
      }
    });
  }
});

describe('dev mode', () => {
  let dataDir: string;
  let first: RunningServer | undefined;
  let second: RunningServer | undefined;
  let tokenBefore: { token: string; expires_at: number };
  let secretsBefore: { jwtSecret: string; adminKey: string };
  // Empty values count as unset, so the server has to generate its own secrets.
  const noSecrets = { AVATAR_JWT_SECRET: '', AVATAR_ADMIN_KEY: '' };

  before(async () => {
    dataDir = await tempDir();
    first = await startServer({ dev: true, dataDir, env: noSecrets });
  });
  after(async () => {
    await first?.stop({ keepData: true });
    await second?.stop({ keepData: true });
  });

  test('generates secrets into the data dir (dev-secrets.json, private)', async () => {
    const path = join(dataDir, 'dev-secrets.json');
    secretsBefore = JSON.parse(await readFile(path, 'utf8'));
    assert.equal(typeof secretsBefore.jwtSecret, 'string');
    assert.equal(typeof secretsBefore.adminKey, 'string');
    assert.ok(secretsBefore.jwtSecret.length >= 32, 'jwt secret at least 32 characters');
    assert.ok(secretsBefore.adminKey.length >= 16, 'admin key at least 16 characters');
    assert.equal((await stat(path)).mode & 0o077, 0, 'dev-secrets.json is readable by its owner only');
    // The generated secrets are the ones in use: a token signed with the saved secret is accepted.
    const token = signJwt(secretsBefore.jwtSecret, { sub: 'signed-locally', exp: now() + 600 });
    const me = await api(first!, 'GET', '/v1/users/me', { token });
    assert.equal(me.status, 200, me.text);
    assert.equal(me.json.id, 'signed-locally');
    // And so is the admin key.
    const admin = await api(first!, 'POST', '/v1/admin/tokens', { headers: { authorization: `Bearer ${secretsBefore.adminKey}` }, json: { user_id: 'via-admin' } });
    assert.equal(admin.status, 200, admin.text);
  });

  test('POST /v1/dev/token → 200 {token, expires_at}; the token works on /v1/users/me', async () => {
    const before = now();
    const res = await api(first!, 'POST', '/v1/dev/token', { json: { user_id: 'dev-alice' } });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(Object.keys(res.json).sort(), ['expires_at', 'token']);
    assert.equal(typeof res.json.token, 'string');
    assert.ok(Number.isInteger(res.json.expires_at));
    assert.ok(res.json.expires_at >= before + 3600 && res.json.expires_at <= now() + 3600, `default ttl 3600: ${res.json.expires_at}`);
    tokenBefore = res.json;
    const me = await api(first!, 'GET', '/v1/users/me', { token: res.json.token });
    assert.equal(me.status, 200, me.text);
    assert.deepEqual(me.json, { id: 'dev-alice', avatar_url: null, avatar: null, avatar_processing: false });
  });

  test('POST /v1/dev/token honours ttl_seconds and validates its body', async () => {
    const res = await api(first!, 'POST', '/v1/dev/token', { json: { user_id: 'dev-bob', ttl_seconds: 120 } });
    assert.equal(res.status, 200, res.text);
    assert.ok(Math.abs(res.json.expires_at - (now() + 120)) <= 5, `expires_at ${res.json.expires_at}`);
    const badUser = await api(first!, 'POST', '/v1/dev/token', { json: { user_id: 'not allowed!' } });
    assert.equal(badUser.status, 400, badUser.text);
    assert.equal(badUser.json.error.code, 'INVALID_REQUEST');
    assert.match(badUser.json.error.message, /user_id/);
    const missing = await api(first!, 'POST', '/v1/dev/token', { json: {} });
    assert.equal(missing.status, 400, missing.text);
    assert.match(missing.json.error.message, /user_id/);
    const badTtl = await api(first!, 'POST', '/v1/dev/token', { json: { user_id: 'dev-bob', ttl_seconds: 5 } });
    assert.equal(badTtl.status, 400, badTtl.text);
    assert.match(badTtl.json.error.message, /ttl_seconds/);
  });

  test('a restart on the same data dir reuses the secrets: earlier tokens keep working', async () => {
    assert.ok(tokenBefore, 'needs the token from the previous test');
    await first!.stop({ keepData: true });
    first = undefined;
    second = await startServer({ dev: true, dataDir, env: noSecrets });
    const secretsAfter = JSON.parse(await readFile(join(dataDir, 'dev-secrets.json'), 'utf8'));
    assert.deepEqual(secretsAfter, secretsBefore);
    const me = await api(second, 'GET', '/v1/users/me', { token: tokenBefore.token });
    assert.equal(me.status, 200, me.text);
    assert.equal(me.json.id, 'dev-alice');
    const fresh = await api(second, 'POST', '/v1/dev/token', { json: { user_id: 'dev-carol' } });
    assert.equal(fresh.status, 200, fresh.text);
  });
});

/** Starts `node dist/server/cli.js`, resolving once it prints its listening line. */
async function startBuilt(args: string[], env: Record<string, string>) {
  const proc: ChildProcess = spawn(process.execPath, [builtCli, ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const listening = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line:\n${lines.join('\n')}`)), 20_000);
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line) continue;
        lines.push(line);
        if (logText(line).startsWith('listening on ')) {
          clearTimeout(timer);
          resolve(line);
        }
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`exited (${code}) before listening:\n${lines.join('\n')}`));
    });
  });
  return { proc, lines, exited, listening };
}

describe('the built CLI (dist/server/cli.js), outside dev mode', () => {
  let built: Awaited<ReturnType<typeof startBuilt>> | undefined;
  let listeningLine = '';
  let listeningRecord: LogRecord | null = null;
  let url = '';

  before(async () => {
    if (!existsSync(builtCli)) {
      const tsc = spawn(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
      const code = await new Promise<number | null>((resolve) => tsc.once('exit', resolve));
      assert.equal(code, 0, 'tsc -p tsconfig.build.json failed');
    }
    const dataDir = await tempDir();
    built = await startBuilt(['--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir], {
      AVATAR_JWT_SECRET: goodSecret,
      AVATAR_ADMIN_KEY: goodAdminKey,
    });
    listeningRecord = parseLogLine(await built.listening);
    listeningLine = listeningRecord?.msg ?? '';
    url = listeningLine.slice('listening on '.length).trim();
  });
  after(async () => {
    if (built && built.proc.exitCode === null && built.proc.signalCode === null) built.proc.kill('SIGTERM');
    await built?.exited;
  });

  test('logs `listening on http://127.0.0.1:PORT` with the port it got, as a JSON line outside dev mode', async () => {
    const match = /^listening on http:\/\/127\.0\.0\.1:(\d+)$/.exec(listeningLine);
    assert.ok(match, listeningLine);
    assert.equal(listeningRecord?.level, 'info');
    assert.equal(listeningRecord?.url, url);
    const port = Number(match[1]);
    assert.ok(port > 0 && port < 65536);
    const health = await api(url, 'GET', '/healthz');
    assert.equal(health.status, 200, health.text);
    assert.deepEqual(health.json, { status: 'ok' });
  });

  test('user tokens signed with AVATAR_JWT_SECRET work', async () => {
    const token = signJwt(goodSecret, { sub: 'built-erin', exp: now() + 600 });
    const me = await api(url, 'GET', '/v1/users/me', { token });
    assert.equal(me.status, 200, me.text);
    assert.equal(me.json.id, 'built-erin');
  });

  test('POST /v1/dev/token does not exist: 404 NOT_FOUND', async () => {
    const res = await api(url, 'POST', '/v1/dev/token', { json: { user_id: 'mallory' } });
    assert.equal(res.status, 404, res.text);
    assert.equal(res.json.error.code, 'NOT_FOUND');
  });

  test('SIGTERM shuts it down cleanly (exit code 0)', async () => {
    built!.proc.kill('SIGTERM');
    assert.equal(await built!.exited, 0, built!.lines.join('\n'));
  });
});
