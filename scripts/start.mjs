// npm start: builds the widget bundle, then runs the avatar server in dev mode (SQLite + ./data) and the
// Vite demo over HTTPS, and prints the URLs. Ctrl+C stops both.
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const port = process.env.PORT ?? '8787';
const serverUrl = `http://127.0.0.1:${port}`;
const children = [];

function run(command, args, { env = {}, onLine } = {}) {
  const child = spawn(command, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  child.stdout.on('data', (chunk) => {
    process.stdout.write(chunk);
    for (const line of chunk.toString().split('\n')) onLine?.(line);
  });
  child.on('exit', (code) => {
    for (const other of children) if (other !== child) other.kill('SIGTERM');
    process.exitCode = code ?? 0;
  });
  children.push(child);
  return child;
}

// The third-party demo page loads the built widget from the server, exactly as another site would.
const build = spawnSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

run(process.execPath, ['--import', 'tsx', 'server/cli.ts', '--dev', '--port', port, '--data-dir', process.env.AVATAR_DATA_DIR ?? 'data'], {
  onLine(line) {
    if (!line.includes('listening on ')) return;
    run(process.execPath, ['node_modules/vite/bin/vite.js', '--logLevel', 'warn'], {
      env: { VITE_AVATAR_SERVER: serverUrl },
    });
    console.log(`
  Avatar server  ${serverUrl}   (API docs: ${serverUrl}/docs)
  Demo           https://localhost:5173/
  Third-party    https://127.0.0.1:5173/third-party.html  (another origin, one script tag)
  The demo uses a self-signed certificate: accept the browser's warning once.
`);
  },
});

for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => children.forEach((child) => child.kill(signal)));
