// The references the serving benchmark measures /cdn/ against, in the same run: a plain node:http server answering
// the same bytes from memory with the same headers (what a Node process can do at best), and nginx serving the same
// files with the same headers when it is installed. Both answer the same paths as our /cdn/ and the same
// If-None-Match rules, so one load generator command line points at any of the three.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { freePort } from '../test/helpers/free-port.ts';
import { sleep } from './stats.ts';

/** One object as our /cdn/ serves it: its path (no query), the file holding its bytes, and the headers sent. */
export interface ServedObject {
  path: string;
  file: string;
  etag: string;
  /** Lower-case names; without Date, Connection, Keep-Alive and Content-Length (each server adds its own). */
  headers200: Record<string, string>;
  headers304: Record<string, string>;
}

export interface ReferenceServer {
  name: string;
  url: string;
  pid: number;
  stop(): Promise<void>;
}

function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

// ---------------------------------------------------------------------------------------------------------------
// node:http from memory: the files are read once at start; per request one Map lookup, the If-None-Match
// comparison our /cdn/ makes, and writeHead with a prebuilt header list. Nothing a real server could leave out.
const NODE_REFERENCE = `
import http from 'node:http';
import fs from 'node:fs';
const objects = new Map();
for (const o of JSON.parse(process.env.REF_OBJECTS)) {
  const bytes = fs.readFileSync(o.file);
  const ok = [...Object.entries(o.headers200).flat(), 'content-length', String(bytes.byteLength)];
  objects.set(o.path, { bytes, etag: o.etag, ok, notModified: Object.entries(o.headers304).flat() });
}
const matches = (inm, etag) => inm === etag || inm.split(',').some((tag) => {
  const bare = tag.trim().replace(/^W\\//, '');
  return bare === '*' || bare === etag;
});
const server = http.createServer((req, res) => {
  const q = req.url.indexOf('?');
  const o = objects.get(q === -1 ? req.url : req.url.slice(0, q));
  if (!o) {
    res.writeHead(404);
    res.end();
    return;
  }
  const inm = req.headers['if-none-match'];
  if (inm !== undefined && matches(inm, o.etag)) {
    res.writeHead(304, o.notModified);
    res.end();
    return;
  }
  res.writeHead(200, o.ok);
  res.end(o.bytes);
});
server.listen(0, '127.0.0.1', () => console.log('listening on http://127.0.0.1:' + server.address().port));
process.on('SIGTERM', () => process.exit(0));
`;

export async function startNodeReference(objects: ServedObject[]): Promise<ReferenceServer> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', NODE_REFERENCE], {
    env: { PATH: process.env.PATH ?? '', REF_OBJECTS: JSON.stringify(objects) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`node:http reference did not start: ${out}`)), 10_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('exit', (code) => reject(new Error(`node:http reference exited (${code}): ${out}`)));
  });
  return { name: 'node:http in memory', url, pid: child.pid!, stop: () => stopChild(child) };
}

// ---------------------------------------------------------------------------------------------------------------
// nginx: one worker (our server is one process too), a generated config in a temp dir (pid, logs and temp paths
// there as well), the objects copied under the same paths. ETag and the other headers are ours, set with
// add_header; nginx's own ETag is off and a matching If-None-Match is answered 304 by the same rules as ours
// for the exact tag or "*" (the load generator sends the exact tag). nginx adds Last-Modified and Server, which ours lack.

/** The nginx binary (BENCH_SERVING_NGINX names one; `none` skips nginx), or why there is none. */
export function findNginx(): { path: string } | { missing: string } {
  const chosen = process.env.BENCH_SERVING_NGINX;
  if (chosen === 'none') return { missing: 'BENCH_SERVING_NGINX=none' };
  for (const path of chosen ? [chosen] : ['nginx', '/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx']) {
    const probe = spawnSync(path, ['-v'], { encoding: 'utf8' });
    if (!probe.error) return { path };
  }
  return { missing: 'nginx is not installed (apt-get install nginx-light)' };
}

/** A value for an nginx config: single-quoted, so ';', '{' and spaces are literal. */
const quoted = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

function nginxConfig(dir: string, port: number, objects: ServedObject[]): string {
  const runningAsRoot = process.getuid?.() === 0;
  const locations = objects.map((o) => {
    const add = Object.entries(o.headers200)
      .filter(([name]) => name !== 'content-type')
      .map(([name, value]) => `      add_header ${name} ${quoted(value)};`);
    return [
      `    location = ${o.path} {`,
      ...add,
      `      if ($http_if_none_match = ${quoted(o.etag)}) { return 304; }`,
      `      if ($http_if_none_match = '*') { return 304; }`,
      '    }',
    ].join('\n');
  });
  return `# Generated by bench/serving-references.ts for one benchmark run.
worker_processes 1;
daemon off;
${runningAsRoot ? 'user root root;' : ''}
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${join(dir, 'client_body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};
  types { image/webp webp; }
  default_type application/octet-stream;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_timeout 65;
  keepalive_requests 100000000;
  server_tokens off;
  etag off;
  max_ranges 0;
  open_file_cache max=100 inactive=60s;
  server {
    listen 127.0.0.1:${port};
    root ${join(dir, 'root')};
${locations.join('\n')}
    location / { return 404; }
  }
}
`;
}

export async function startNginx(binary: string, objects: ServedObject[]): Promise<ReferenceServer> {
  const dir = await mkdtemp(join(tmpdir(), 'avatar-bench-nginx-'));
  let child: ChildProcess | null = null;
  const cleanUp = async () => {
    if (child) await stopChild(child, 'SIGQUIT');
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (const o of objects) {
      const target = join(dir, 'root', o.path);
      await mkdir(dirname(target), { recursive: true });
      await copyFile(o.file, target);
    }
    const port = await freePort();
    const conf = join(dir, 'nginx.conf');
    await writeFile(conf, nginxConfig(dir, port, objects));
    const started = spawn(binary, ['-p', dir, '-e', join(dir, 'error.log'), '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = started;
    let stderr = '';
    started.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (started.exitCode !== null) {
        const log = await readFile(join(dir, 'error.log'), 'utf8').catch(() => '');
        throw new Error(`nginx exited (${started.exitCode}): ${stderr.trim()} ${log.trim()}`);
      }
      const ok = await fetch(`${url}${objects[0]!.path}`).then((res) => res.arrayBuffer().then(() => res.status === 200), () => false);
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`nginx did not answer in 10 s: ${stderr.trim()}`);
      await sleep(50);
    }
    // The master only supervises; the worker answers. Its CPU is what the benchmark reads.
    const workerPid = await nginxWorkerPid(started.pid!);
    return { name: 'nginx', url, pid: workerPid ?? started.pid!, stop: cleanUp };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

/** The worker process of an nginx master (its only child), from /proc. */
async function nginxWorkerPid(masterPid: number): Promise<number | null> {
  const children = await readFile(`/proc/${masterPid}/task/${masterPid}/children`, 'utf8').catch(() => '');
  const pid = Number(children.trim().split(/\s+/)[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}
