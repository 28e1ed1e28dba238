// A real S3-protocol server for the tests (@20minutes/s3rver, installed by `npm ci`): on 127.0.0.1 with a
// port it picks itself, in a temp dir, with one bucket. It verifies SigV4 signatures itself (headers and
// presigned query strings, their signed headers and expiry). Unlike S3 it lets unsigned requests through (no
// bucket policy), and keeps a cut-off PUT as a partial object. Beside it, a fault proxy that answers 5xx,
// cuts bodies or never answers, to test retries and timeouts against the same server, or refuses some requests
// as a bucket policy would (e.g. every bucket-level call, as without s3:ListBucket).
import { spawn } from 'node:child_process';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { AddressInfo, Socket } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The part of s3rver's (untyped, CommonJS) API used here. */
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  httpServer?: Server;
}
type S3rverConstructor = new (options: {
  address: string;
  port: number;
  silent: boolean;
  directory: string;
  vhostBuckets: boolean;
  /** `configs`: the bucket's subresource documents as XML (its CORS configuration here). */
  configureBuckets: Array<{ name: string; configs?: string[] }>;
}) => S3rverInstance;

interface KoaContext {
  path: string;
  params: Record<string, string | undefined>;
}
type Middleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>;

const require = createRequire(import.meta.url);

/**
 * s3rver's one known signing bug, corrected before it loads: for a bucket-level request it builds the
 * canonical URI as `/bucket` even when the path is `/bucket/`, which is what the AWS SDK v3 sends and signs
 * (ListObjectsV2, DeleteObjects, HeadBucket), so it refuses those valid requests (s3rver 5.0.0 too). S3 signs
 * the path as sent; with this the server does the same, and still checks every signature itself.
 */
function correctBucketCanonicalUri() {
  const routes = require.resolve('@20minutes/s3rver/lib/routes.js');
  if (require.cache[routes]) throw new Error('s3rver was loaded before its canonical URI could be corrected');
  const path = require.resolve('@20minutes/s3rver/lib/middleware/authentication.js');
  const authentication = require(path) as () => Middleware;
  require.cache[path]!.exports = () => {
    const verify = authentication();
    return (ctx: KoaContext, next: () => Promise<void>) => {
      const { bucket, key } = ctx.params;
      if (!bucket || key || ctx.path !== `/${bucket}/`) return verify(ctx, next);
      ctx.params.bucket = `${bucket}/`;
      return verify(ctx, () => {
        ctx.params.bucket = bucket;
        return next();
      });
    };
  };
}

correctBucketCanonicalUri();
const S3rver = require('@20minutes/s3rver') as S3rverConstructor;

export interface RunningS3 {
  /** `http://127.0.0.1:PORT`; buckets are addressed path-style. */
  endpoint: string;
  bucket: string;
  region: string;
  /** s3rver's built-in key pair: requests signed with anything else are refused. */
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Where s3rver keeps the objects. */
  directory: string;
  stop(): Promise<void>;
}

/** A bucket CORS rule letting pages on `origins` upload (presigned PUT) and read, as a browser does with S3 storage. */
const corsConfiguration = (origins: string[]) => `<CORSConfiguration><CORSRule>${origins.map((o) => `<AllowedOrigin>${o}</AllowedOrigin>`).join('')}
<AllowedMethod>GET</AllowedMethod><AllowedMethod>HEAD</AllowedMethod><AllowedMethod>PUT</AllowedMethod><AllowedHeader>*</AllowedHeader><MaxAgeSeconds>600</MaxAgeSeconds></CORSRule></CORSConfiguration>`;

/** `corsOrigins`: pages allowed to talk to the bucket from a browser (none: no CORS, as s3rver starts). */
export async function startS3Server(opts: { bucket?: string; corsOrigins?: string[] } = {}): Promise<RunningS3> {
  const directory = await mkdtemp(join(tmpdir(), 'avatar-s3-'));
  const bucket = opts.bucket ?? 'avatars';
  const configs = opts.corsOrigins ? [corsConfiguration(opts.corsOrigins)] : [];
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, vhostBuckets: false, configureBuckets: [{ name: bucket, configs }] });
  const { port } = await server.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    region: 'us-east-1',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    directory,
    async stop() {
      server.httpServer?.closeAllConnections();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** The same server in a child process (s3-server-cli.ts), stopped with SIGTERM: for measurements, where it must not share the caller's event loop. */
export async function startS3ServerProcess(): Promise<RunningS3> {
  const cli = fileURLToPath(new URL('./s3-server-cli.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', cli], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const [line] = await Promise.race([
    (async () => {
      for await (const out of createInterface({ input: child.stdout! })) return [out];
      return [undefined];
    })(),
    exited.then(() => [undefined]),
  ]);
  if (!line) throw new Error('the S3 server process exited before it was ready');
  const running = JSON.parse(line) as Omit<RunningS3, 'stop'>;
  return {
    ...running,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The environment variable through which a wrapper (with-postgres.ts --s3) hands one S3 server to every test file. */
export const SHARED_S3_ENV = 'AVATAR_TEST_S3_ENDPOINT';

type S3Endpoint = Pick<RunningS3, 'endpoint' | 'region' | 'credentials'>;

/** The wrapper's S3 server (its built-in keys and region): one per test run, a bucket per test server. */
export function sharedS3(): S3Endpoint {
  const endpoint = process.env[SHARED_S3_ENV];
  if (!endpoint) throw new Error(`AVATAR_TEST_STORAGE=s3 needs an S3 server: run the tests under test/helpers/with-postgres.ts --s3`);
  return { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } };
}

/** The environment that puts an avatar-server on `bucket` of this S3 server (path-style, its built-in keys). */
export const serverStorageEnv = (s3: S3Endpoint, bucket: string): Record<string, string> => ({
  AVATAR_STORAGE: 's3',
  AVATAR_S3_BUCKET: bucket,
  AVATAR_S3_ENDPOINT: s3.endpoint,
  AVATAR_S3_REGION: s3.region,
  AVATAR_S3_FORCE_PATH_STYLE: '1',
  AVATAR_S3_ACCESS_KEY_ID: s3.credentials.accessKeyId,
  AVATAR_S3_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
});

/** A plain SDK client on the server, to look at buckets from outside the app. */
export const rawClient = (s3: S3Endpoint) =>
  new S3Client({ region: s3.region, endpoint: s3.endpoint, forcePathStyle: true, credentials: s3.credentials, requestChecksumCalculation: 'WHEN_REQUIRED' });

export async function createBucket(s3: S3Endpoint, bucket: string): Promise<void> {
  const client = rawClient(s3);
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } finally {
    client.destroy();
  }
}

/** Every key in `bucket` starting with `prefix`, sorted. */
export async function listBucket(s3: S3Endpoint, bucket: string, prefix = ''): Promise<string[]> {
  const client = rawClient(s3);
  const keys: string[] = [];
  try {
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix || undefined, ContinuationToken: token }));
      keys.push(...(page.Contents ?? []).flatMap((o) => (o.Key ? [o.Key] : [])));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  } finally {
    client.destroy();
  }
  return keys.sort();
}

/** Stores `bytes` under `key`, as a server (or one killed half-way) would have. */
export async function writeBucketObject(s3: S3Endpoint, bucket: string, key: string, bytes: Uint8Array): Promise<void> {
  const client = rawClient(s3);
  try {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes }));
  } finally {
    client.destroy();
  }
}

/** An object's bytes, or null when there is none. */
export async function readBucketObject(s3: S3Endpoint, bucket: string, key: string): Promise<Buffer | null> {
  const client = rawClient(s3);
  try {
    const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from(await res.Body!.transformToByteArray());
  } catch (err) {
    if ((err as Error).name === 'NoSuchKey') return null;
    throw err;
  } finally {
    client.destroy();
  }
}

export type Fault =
  /** Forward this one untouched (to reach a later request of an exchange). */
  | { pass: true }
  /** Answer with this status and an S3 error body; the request never reaches the server. */
  | { status: number; code: string }
  /** Forward the request, but cut both connections once this many body bytes have gone through. */
  | { cutAfterBytes: number }
  /** Never answer (until the proxy closes). */
  | { stall: true };

/** Which requests a refusing proxy answers 403 AccessDenied, by method and path (the query left out). */
export type RefusalRule = (method: string, path: string) => boolean;

/**
 * Requests on the bucket itself rather than an object (path-style `/bucket` or `/bucket/`): ListObjectsV2,
 * DeleteObjects, HeadBucket. A bucket policy or IAM role without s3:ListBucket refuses the first; one scoped to
 * `arn:aws:s3:::bucket/*` refuses them all.
 */
export const bucketLevel: RefusalRule = (_method, path) => /^\/[^/]+\/?$/.test(path);

export interface FaultProxy {
  /** Use as the S3 endpoint. */
  url: string;
  /** Every request that reached the proxy, as "METHOD /path" (the query left out). */
  requests: string[];
  /** The next requests meet these faults, one each, in order; later ones are forwarded untouched. */
  inject(...faults: Fault[]): void;
  /** From now on every request matching `rule` is refused with 403 AccessDenied, as S3 does for a missing permission (null: none). */
  refuse(rule: RefusalRule | null): void;
  close(): Promise<void>;
}

/** An HTTP proxy in front of `target` that injects storage faults on demand. */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  const planned: Fault[] = [];
  const requests: string[] = [];
  const sockets = new Set<Socket>();

  const forward = (req: IncomingMessage, res: ServerResponse, cutAfterBytes: number | null) => {
    const out = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    out.on('error', () => res.destroy());
    if (cutAfterBytes === null) {
      req.pipe(out);
      return;
    }
    let passed = 0;
    req.on('data', (chunk: Buffer) => {
      const room = cutAfterBytes - passed;
      passed += chunk.length;
      if (room > 0) out.write(chunk.subarray(0, room));
      if (passed >= cutAfterBytes) {
        out.destroy();
        req.socket.destroy();
      }
    });
    req.on('end', () => out.end());
  };

  let refusal: RefusalRule | null = null;
  const answer = (req: IncomingMessage, res: ServerResponse, status: number, code: string, message: string) => {
    req.resume();
    const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
    res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  };

  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0]!;
    requests.push(`${req.method} ${path}`);
    if (refusal?.(req.method ?? '', path)) return answer(req, res, 403, 'AccessDenied', 'Access Denied');
    const fault = planned.shift();
    if (!fault || 'pass' in fault) return forward(req, res, null);
    if ('stall' in fault) return;
    if ('cutAfterBytes' in fault) return forward(req, res, fault.cutAfterBytes);
    answer(req, res, fault.status, fault.code, 'injected fault');
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    inject: (...faults) => planned.push(...faults),
    refuse: (rule) => {
      refusal = rule;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port on 127.0.0.1 where nothing listens (connections are refused). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
