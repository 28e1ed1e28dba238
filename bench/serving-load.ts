// Load generators for the serving benchmark. wrk when it is installed: a C client much lighter than any Node one, so
// on a small machine the server under test, not the client, is what runs out of CPU. Otherwise a plain Node client
// (node:http, keep-alive Agent, a fixed number of requests in flight) that checks every response.
// Both return the same figures, including the CPU the server, the client and the whole machine used in the window.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpuTimes } from './server-process.ts';

export interface LoadJob {
  url: string;
  headers: Record<string, string>;
  /** Expected status; for 200, also the body length. */
  status: number;
  bodyBytes: number;
  /** The process answering (its CPU is sampled over the window). */
  serverPid: number;
  connections: number;
  warmupMs: number;
  measureMs: number;
}

export interface LoadResult {
  requests: number;
  elapsedMs: number;
  rps: number;
  /** Bytes read per response, headers included (wrk); the body only (Node client: it does not see the headers). */
  bytesPerResponse: number;
  /** Responses with another status or length, and connection errors. */
  wrong: number;
  errors: number;
  problems: string[];
  serverCpuMs: number;
  /** The server's main (event-loop) thread. */
  serverMainCpuMs: number;
  clientCpuMs: number;
  /** Every process on the machine. */
  machineBusyMs: number;
  p50Ms: number;
  p99Ms: number;
}

export interface LoadGenerator {
  name: string;
  describe(connections: number): string;
  measure(job: LoadJob): Promise<LoadResult>;
  close(): Promise<void>;
}

/** Busy ms of the whole machine (all cores; USER_HZ ticks of 10 ms), steal excluded. */
export function machineBusyMs(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return (f[0]! + f[1]! + f[2]! + f[5]! + f[6]!) * 10;
}

/** CPU ms of this process's reaped children (the wrk runs), from /proc/self/stat cutime + cstime. */
function reapedChildrenCpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
  return (fields[13]! + fields[14]!) * 10;
}

// ---------------------------------------------------------------------------------------------------------------
// wrk

export function wrkAvailable(): boolean {
  return !spawnSync('wrk', ['--version'], { encoding: 'utf8' }).error;
}

const UNITS: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };
const TIME_UNITS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

/** The figures of wrk's report (`--latency`). */
export function parseWrk(out: string) {
  const total = /(\d+) requests in ([\d.]+)(us|ms|s|m), ([\d.]+)([KMGT]?B) read/.exec(out);
  if (!total) throw new Error(`unexpected wrk output:\n${out}`);
  const latency = (pct: string) => {
    const m = new RegExp(`^\\s*${pct}%\\s+([\\d.]+)(us|ms|s|m)`, 'm').exec(out);
    return m ? Number(m[1]) * TIME_UNITS[m[2]!]! : NaN;
  };
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    requests: Number(total[1]),
    seconds: (Number(total[2]) * TIME_UNITS[total[3]!]!) / 1000,
    bytesRead: Number(total[4]) * UNITS[total[5]!]!,
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN),
    non2xx3xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
    socketErrors: socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0,
    p50Ms: latency('50'),
    p99Ms: latency('99'),
  };
}

function runWrk(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('error', reject);
    // 'close' comes after the child is reaped, so its CPU is in this process's cutime by then.
    child.once('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`wrk exited ${code}: ${out}`))));
  });
}

const wrkArgs = (job: LoadJob, ms: number) => [
  '-t1',
  `-c${job.connections}`,
  `-d${Math.max(1, Math.round(ms / 1000))}s`,
  '--latency',
  ...Object.entries(job.headers).flatMap(([name, value]) => ['-H', `${name}: ${value}`]),
  job.url,
];

export function wrkLoad(): LoadGenerator {
  return {
    name: 'wrk',
    describe: (connections) => `wrk -t1 -c${connections} --latency (one thread, ${connections} keep-alive connections)`,
    async measure(job) {
      if (job.warmupMs > 0) await runWrk(wrkArgs(job, job.warmupMs));
      const s0 = cpuTimes(job.serverPid);
      const m0 = machineBusyMs();
      const c0 = reapedChildrenCpuMs();
      const t0 = performance.now();
      const out = await runWrk(wrkArgs(job, job.measureMs));
      const t1 = performance.now();
      const s1 = cpuTimes(job.serverPid);
      const m1 = machineBusyMs();
      const c1 = reapedChildrenCpuMs();
      const w = parseWrk(out);
      const bytesPerResponse = w.requests ? w.bytesRead / w.requests : 0;
      const problems: string[] = [];
      if (w.non2xx3xx) problems.push(`${w.non2xx3xx} responses with a status other than 2xx/3xx`);
      if (w.socketErrors) problems.push(`${w.socketErrors} socket errors`);
      // wrk does not check bodies; the size of what it read tells a 200 with the body from a 304 or an error.
      const sized = job.status === 200 ? bytesPerResponse >= job.bodyBytes : bytesPerResponse < 1024;
      if (!sized) problems.push(`${Math.round(bytesPerResponse)} bytes per response for an expected ${job.status} of ${job.bodyBytes} body bytes`);
      return {
        requests: w.requests,
        elapsedMs: t1 - t0,
        rps: w.rps,
        bytesPerResponse,
        wrong: w.non2xx3xx + (sized ? 0 : w.requests),
        errors: w.socketErrors,
        problems,
        serverCpuMs: s1.totalMs - s0.totalMs,
        serverMainCpuMs: s1.mainMs - s0.mainMs,
        clientCpuMs: c1 - c0,
        machineBusyMs: m1 - m0,
        p50Ms: w.p50Ms,
        p99Ms: w.p99Ms,
      };
    },
    close: async () => {},
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The Node client, in its own process. Commands arrive over IPC as LoadJob; every response is read to the end and
// checked (status; for 200 the body length). The CPU figures are sampled by the client at the window's edges.
const NODE_CLIENT = `
import http from 'node:http';
import fs from 'node:fs';

function cpuMs(pid) {
  let total = 0, main = 0;
  for (const tid of fs.readdirSync('/proc/' + pid + '/task')) {
    try {
      const ms = Number(fs.readFileSync('/proc/' + pid + '/task/' + tid + '/schedstat', 'utf8').split(' ')[0]) / 1e6;
      total += ms;
      if (tid === String(pid)) main = ms;
    } catch {}
  }
  return { total, main };
}
function machineBusy() {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\\n')[0].trim().split(/\\s+/).slice(1).map(Number);
  return (f[0] + f[1] + f[2] + f[5] + f[6]) * 10;
}
const ownCpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };

async function run(job) {
  const target = new URL(job.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: job.connections });
  const options = { agent, host: target.hostname, port: target.port, path: target.pathname + target.search, headers: job.headers };
  let phase = 'warmup';
  let done = 0, bytes = 0, wrong = 0, errors = 0;
  const latencies = [];
  const problems = [];
  const one = () => new Promise((resolve) => {
    const started = performance.now();
    const req = http.get(options, (res) => {
      let length = 0;
      res.on('data', (chunk) => { length += chunk.length; });
      res.on('end', () => {
        const good = res.statusCode === job.status && (job.status !== 200 || length === job.bodyBytes);
        if (phase === 'measure') {
          done++;
          bytes += length;
          latencies.push(performance.now() - started);
          if (!good) { wrong++; if (problems.length < 3) problems.push('got ' + res.statusCode + ' with ' + length + ' bytes'); }
        }
        resolve();
      });
      res.on('error', () => { if (phase === 'measure') errors++; resolve(); });
    });
    req.on('error', (e) => { if (phase === 'measure') { errors++; if (problems.length < 3) problems.push(String(e)); } resolve(); });
  });
  const loop = async () => { while (phase !== 'stop') await one(); };
  const loops = Array.from({ length: job.connections }, loop);
  await new Promise((r) => setTimeout(r, job.warmupMs));
  phase = 'measure';
  const t0 = performance.now(), s0 = cpuMs(job.serverPid), c0 = ownCpuMs(), m0 = machineBusy();
  await new Promise((r) => setTimeout(r, job.measureMs));
  const t1 = performance.now(), s1 = cpuMs(job.serverPid), c1 = ownCpuMs(), m1 = machineBusy();
  const requests = done;
  phase = 'stop';
  await Promise.all(loops);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] : NaN;
  return {
    requests, elapsedMs: t1 - t0, rps: requests / ((t1 - t0) / 1000), bytesPerResponse: requests ? bytes / requests : 0, wrong, errors, problems,
    serverCpuMs: s1.total - s0.total, serverMainCpuMs: s1.main - s0.main, clientCpuMs: c1 - c0, machineBusyMs: m1 - m0, p50Ms: pct(0.5), p99Ms: pct(0.99),
  };
}

process.on('message', (job) => {
  run(job).then((result) => process.send(result), (e) => process.send({ failed: String(e && e.stack || e) }));
});
process.send({ ready: true });
`;

export async function nodeLoad(): Promise<LoadGenerator> {
  const child: ChildProcess = spawn(process.execPath, ['--input-type=module', '-e', NODE_CLIENT], {
    env: { PATH: process.env.PATH ?? '' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`load client exited (${code})`)));
  });
  return {
    name: 'node',
    describe: (connections) => `a Node client (node:http keep-alive Agent, ${connections} requests in flight)`,
    measure: (job) =>
      new Promise<LoadResult>((resolve, reject) => {
        child.once('message', (message: LoadResult & { failed?: string }) => (message.failed ? reject(new Error(message.failed)) : resolve(message)));
        child.send(job);
      }),
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
