// Runs a command (the server test suite) against one throwaway PostgreSQL server, and with --s3 one S3-protocol
// server too, started here and stopped when the command ends:
// `node --import tsx test/helpers/with-postgres.ts [--s3] <command> [args…]`.
// Every test server of the run gets a database of its own on it (AVATAR_TEST_DATABASE=postgres), and with --s3
// a bucket of its own (AVATAR_TEST_STORAGE=s3).
import { spawn } from 'node:child_process';
import { SHARED_POSTGRES_ENV, startPostgres } from './postgres.ts';
import { SHARED_S3_ENV, startS3Server } from './s3-server.ts';

const argv = process.argv.slice(2);
const withS3 = argv[0] === '--s3';
const [command, ...args] = withS3 ? argv.slice(1) : argv;
if (!command) {
  console.error('usage: with-postgres.ts [--s3] <command> [args…]');
  process.exit(2);
}

const started = Date.now();
const postgres = await startPostgres();
console.log(`# test PostgreSQL ready in ${Date.now() - started} ms at ${postgres.adminUrl}`);
const s3 = withS3 ? await startS3Server() : null;
if (s3) console.log(`# test S3 server at ${s3.endpoint} (the AWS SDK's warning that its 2027 releases need Node 22 is silenced)`);

const child = spawn(command, args, {
  stdio: 'inherit',
  env: {
    ...process.env,
    AVATAR_TEST_DATABASE: 'postgres',
    [SHARED_POSTGRES_ENV]: postgres.adminUrl,
    // The AWS SDK warns once per process that its 2027 releases need Node 22 (README, "Running more than one
    // process"); said once here, not by every test file.
    ...(s3 ? { AVATAR_TEST_STORAGE: 's3', [SHARED_S3_ENV]: s3.endpoint, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } : {}),
  },
});
// Ctrl-C reaches the child through the terminal; a plain SIGTERM to us is passed on.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
const code = await new Promise<number>((resolve) => child.once('exit', (status, signal) => resolve(status ?? (signal ? 1 : 0))));
await Promise.all([postgres.stop(), s3?.stop()]);
process.exit(code);
