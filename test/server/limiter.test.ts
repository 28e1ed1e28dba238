// createLimiter: how a job's encodes are spread over the cores.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLimiter } from '../../server/images/limiter.ts';

/** A task that finishes when its `finish` is called, recording when it started. */
function gate(started: number[], id: number) {
  let finish!: (value: number) => void;
  const done = new Promise<number>((resolve) => (finish = resolve));
  return { task: () => (started.push(id), done), finish: () => finish(id) };
}

test('runs at most `limit` tasks at once, the rest in the order handed in', async () => {
  const limit = createLimiter(2);
  const started: number[] = [];
  const gates = [0, 1, 2, 3].map((id) => gate(started, id));
  const results = gates.map((g) => limit(g.task));
  await Promise.resolve();
  await Promise.resolve();
  assert.deepEqual(started, [0, 1]);
  gates[1]!.finish();
  assert.equal(await results[1], 1);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(started, [0, 1, 2], 'a freed slot goes to the next task in line');
  gates[0]!.finish();
  gates[2]!.finish();
  gates[3]!.finish();
  assert.deepEqual(await Promise.all(results), [0, 1, 2, 3]);
  assert.deepEqual(started, [0, 1, 2, 3]);
});

test('a task that throws or rejects passes its error on and frees its slot', async () => {
  const limit = createLimiter(1);
  const thrown = limit(() => {
    throw new Error('sync');
  });
  const rejected = limit(() => Promise.reject(new Error('async')));
  const after = limit(async () => 'ran');
  await assert.rejects(thrown, /sync/);
  await assert.rejects(rejected, /async/);
  assert.equal(await after, 'ran');
});
