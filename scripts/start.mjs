// npm start: the server in dev mode with embedded defaults (SQLite + ./data), ready for the demo.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const port = process.env.PORT ?? '8787';
const server = spawn(process.execPath, ['--import', 'tsx', 'server/cli.ts', '--dev', '--port', port, '--data-dir', process.env.AVATAR_DATA_DIR ?? 'data'], {
  cwd: root,
  stdio: ['ignore', 'pipe', 'inherit'],
});
server.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  const match = /listening on (\S+)/.exec(chunk.toString());
  if (match) {
    console.log(`\n  API docs:  ${match[1]}/docs`);
    console.log(`  Get a token: curl -X POST ${match[1]}/v1/dev/token -H 'content-type: application/json' -d '{"user_id":"alice"}'\n`);
  }
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal));
server.on('exit', (code) => process.exit(code ?? 0));
