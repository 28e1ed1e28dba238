// Bounds that tests used to time (issue 17: performance lives here, the tests keep the behaviour):
// 1. The message parser on the longest messages, worst case included, next to one regular-expression scan of
//    the same text (what the simplest tokenizer would do; linear for this pattern).
// 2. How long the S3 driver takes to give up: on a storage that never answers (next to the timeouts it was
//    configured with, the floor with no backoff) and where nothing listens (next to as many refused connects).
import { connect } from 'node:net';
import { MAX_MESSAGE_LENGTH, parseMessage } from '../server/emotes/parse.ts';
import { StorageError } from '../server/storage/index.ts';
import { createS3Storage } from '../server/storage/s3.ts';
import { closedPort, startFaultProxy } from '../test/helpers/s3-server.ts';
import { figure, round, type BenchModule, type SectionResult } from './report.ts';
import { summarise, timed } from './stats.ts';

const PARSE_ROUNDS = 9;
const PARSES_PER_ROUND = 200;
const GIVE_UP_RUNS = 3;
/** The driver settings of test/server/storage.test.ts's fault tests. */
const ATTEMPTS = 3;
const CONNECT_TIMEOUT_MS = 500;
const REQUEST_TIMEOUT_MS = 1000;

function log(line: string) {
  process.stderr.write(`[bench] limits: ${line}\n`);
}

/** Messages of MAX_MESSAGE_LENGTH: the parser's worst case (one name far too long) and a busy ordinary one. */
const MESSAGES = {
  worst: `:${'a'.repeat(MAX_MESSAGE_LENGTH - 2)}:`,
  busy: 'hi :cool: '.repeat(MAX_MESSAGE_LENGTH / 10),
};
const TOKEN = /:([A-Za-z0-9_]{2,32}):/g;
const known = new Map([['cool', { asset_id: 'em_cool', shortcode: 'cool' }]]);

/** Median microseconds per call of `work` over PARSE_ROUNDS rounds of PARSES_PER_ROUND calls, after a warm-up round. */
async function perCallUs(work: () => unknown) {
  const round = async () => {
    for (let i = 0; i < PARSES_PER_ROUND; i++) work();
  };
  await round();
  const samples: number[] = [];
  for (let i = 0; i < PARSE_ROUNDS; i++) samples.push(((await timed(round)) * 1000) / PARSES_PER_ROUND);
  return summarise(samples);
}

async function parseFigures() {
  const results = {} as Record<keyof typeof MESSAGES, { parse: ReturnType<typeof summarise>; scan: ReturnType<typeof summarise>; found: number }>;
  for (const [name, body] of Object.entries(MESSAGES) as Array<[keyof typeof MESSAGES, string]>) {
    let found = 0;
    const parse = await perCallUs(() => (found = parseMessage(body, (key) => known.get(key)).inline_emotes.length));
    const scan = await perCallUs(() => [...body.matchAll(TOKEN)].length);
    results[name] = { parse, scan, found };
  }
  return results;
}

function s3At(endpoint: string) {
  return createS3Storage({
    bucket: 'bench',
    region: 'us-east-1',
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench-secret' },
    maxAttempts: ATTEMPTS,
    connectTimeoutMs: CONNECT_TIMEOUT_MS,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
  });
}

/** Milliseconds until `put` rejects with a StorageError (anything else is a broken benchmark). */
async function untilStorageError(put: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  try {
    await put();
  } catch (error) {
    if (error instanceof StorageError) return performance.now() - started;
    throw error;
  }
  throw new Error('the put succeeded against a storage that cannot answer');
}

function refusedConnect(port: number): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => reject(new Error(`something listens on ${port}`)));
    socket.once('error', () => resolve(performance.now() - started));
  });
}

async function giveUpFigures() {
  const port = await closedPort();
  const proxy = await startFaultProxy(`http://127.0.0.1:${port}`);
  const stalled: number[] = [];
  const refused: number[] = [];
  const refusedFloor: number[] = [];
  try {
    for (let run = 0; run < GIVE_UP_RUNS; run++) {
      proxy.inject(...Array.from({ length: ATTEMPTS }, () => ({ stall: true as const })));
      const toStall = s3At(proxy.url);
      stalled.push(await untilStorageError(() => toStall.put(`variants/r${run}/64.webp`, Buffer.alloc(100))));
      await toStall.close();
      const toNothing = s3At(`http://127.0.0.1:${port}`);
      refused.push(await untilStorageError(() => toNothing.put(`variants/r${run}/64.webp`, Buffer.alloc(100))));
      await toNothing.close();
      let floor = 0;
      for (let i = 0; i < ATTEMPTS; i++) floor += await refusedConnect(port);
      refusedFloor.push(floor);
    }
    if (proxy.requests.length !== GIVE_UP_RUNS * ATTEMPTS) throw new Error(`the stalled storage saw ${proxy.requests.length} requests, not ${GIVE_UP_RUNS * ATTEMPTS}`);
  } finally {
    await proxy.close();
  }
  return { stalled: summarise(stalled), refused: summarise(refused), refusedFloor: summarise(refusedFloor) };
}

export const limitsBench: BenchModule = {
  name: 'limits',
  async run(): Promise<SectionResult> {
    log(`parser: ${PARSE_ROUNDS} rounds of ${PARSES_PER_ROUND} parses of each ${MAX_MESSAGE_LENGTH}-character message`);
    const parse = await parseFigures();
    log(`S3 driver giving up (${ATTEMPTS} attempts, ${CONNECT_TIMEOUT_MS} ms connect, ${REQUEST_TIMEOUT_MS} ms request timeout), ${GIVE_UP_RUNS} runs`);
    const giveUp = await giveUpFigures();
    const scanLabel = 'one /:([A-Za-z0-9_]{2,32}):/g scan of the same text';
    return {
      name: 'limits',
      figures: [
        figure({
          id: 'parse_worst_case_us',
          label: `parseMessage, ${MAX_MESSAGE_LENGTH} chars: one ${MAX_MESSAGE_LENGTH - 2}-char name (median)`,
          value: round(parse.worst.parse.median, 1),
          unit: 'µs',
          reference: { label: scanLabel, value: round(parse.worst.scan.median, 1), unit: 'µs' },
          note: `min ${round(parse.worst.parse.min, 1)}, max ${round(parse.worst.parse.max, 1)} µs; ${parse.worst.found} emotes found`,
        }),
        figure({
          id: 'parse_busy_message_us',
          label: `parseMessage, ${MAX_MESSAGE_LENGTH} chars: ${MAX_MESSAGE_LENGTH / 10} × "hi :cool: " (median)`,
          value: round(parse.busy.parse.median, 1),
          unit: 'µs',
          reference: { label: scanLabel, value: round(parse.busy.scan.median, 1), unit: 'µs' },
          note: `min ${round(parse.busy.parse.min, 1)}, max ${round(parse.busy.parse.max, 1)} µs; ${parse.busy.found} emotes found and looked up`,
        }),
        figure({
          id: 'storage_stalled_give_up_ms',
          label: 'S3 driver: StorageError from a storage that never answers (median)',
          value: round(giveUp.stalled.median, 0),
          unit: 'ms',
          reference: { label: `configured: ${ATTEMPTS} attempts × ${REQUEST_TIMEOUT_MS} ms request timeout, no backoff`, value: ATTEMPTS * REQUEST_TIMEOUT_MS, unit: 'ms' },
          note: `${GIVE_UP_RUNS} runs, min ${round(giveUp.stalled.min, 0)}, max ${round(giveUp.stalled.max, 0)} ms; the rest is the SDK's backoff between attempts`,
        }),
        figure({
          id: 'storage_refused_give_up_ms',
          label: 'S3 driver: StorageError where nothing listens (median)',
          value: round(giveUp.refused.median, 1),
          unit: 'ms',
          reference: { label: `${ATTEMPTS} refused TCP connects to the same port, back to back`, value: round(giveUp.refusedFloor.median, 1), unit: 'ms' },
          note: `${GIVE_UP_RUNS} runs, min ${round(giveUp.refused.min, 1)}, max ${round(giveUp.refused.max, 1)} ms; the rest is the SDK's backoff between attempts`,
        }),
      ],
      notes: [],
      details: { parse, give_up: giveUp, attempts: ATTEMPTS, connect_timeout_ms: CONNECT_TIMEOUT_MS, request_timeout_ms: REQUEST_TIMEOUT_MS },
    };
  },
};
