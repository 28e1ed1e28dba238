// Runs a command (the server test suite) against one throwaway PostgreSQL server, started here and stopped
// when the command ends: `node --import tsx test/helpers/with-postgres.ts <command> [args…]`.
// Every test server of the run gets a database of its own on it (AVATAR_TEST_DATABASE=postgres).
import { spawn } from 'node:child_process';
import { SHARED_POSTGRES_ENV, startPostgres } from './postgres.ts';

const [command, ...args] = process.argv.slice(2);
if (!command) {
  console.error('usage: with-postgres.ts <command> [args…]');
  process.exit(2);
}

const started = Date.now();
const postgres = await startPostgres();
console.log(`# test PostgreSQL ready in ${Date.now() - started} ms at ${postgres.adminUrl}`);

const child = spawn(command, args, {
  stdio: 'inherit',
  env: { ...process.env, AVATAR_TEST_DATABASE: 'postgres', [SHARED_POSTGRES_ENV]: postgres.adminUrl },
});
// Ctrl-C reaches the child through the terminal; a plain SIGTERM to us is passed on.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
const code = await new Promise<number>((resolve) => child.once('exit', (status, signal) => resolve(status ?? (signal ? 1 : 0))));
await postgres.stop();
process.exit(code);
