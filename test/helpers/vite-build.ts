// Runs the project's own Vite (no global tools) to build the widget; a failure carries Vite's output.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** `vite build` with `args`, from the project root. */
export function viteBuild(args: string[] = []): Promise<void> {
  const command = [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, command, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`vite build ${args.join(' ')} exited ${code}:\n${output}`))));
  });
}
