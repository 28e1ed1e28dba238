// The loop render jobs and webhook deliveries run on (server/work/leased-loop.ts), in-process: it never runs more
// than its concurrency, loses no kick that arrives during a claim, and hands back at stop what it claimed but never
// started.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLeasedLoop } from '../../server/work/leased-loop.ts';

/** A promise and its resolve, for holding a step open until the test lets it go. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** Resolves once `condition` holds (checked after each turn of the event loop). */
async function until(condition: () => boolean, what: string) {
  for (let turns = 0; turns < 10_000; turns++) {
    if (condition()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.fail(`never: ${what}`);
}

describe('the leased-work loop', () => {
  test('runs at most `concurrency` items at once, and claims again as each ends', async () => {
    const due = [1, 2, 3, 4, 5];
    const gates = new Map(due.map((item) => [item, gate()]));
    let running = 0;
    let most = 0;
    const done: number[] = [];
    const loop = createLeasedLoop<number>({
      concurrency: 2,
      claim: async (room) => due.splice(0, room),
      run: async (item) => {
        most = Math.max(most, ++running);
        await gates.get(item)!.opened;
        running--;
        done.push(item);
      },
      onError: (error) => assert.fail(String(error)),
    });
    await loop.start();
    await until(() => loop.running() === 2, 'two items running');
    for (const item of [1, 2, 3, 4, 5]) gates.get(item)!.open();
    await until(() => done.length === 5, 'every item done');
    assert.equal(most, 2);
    await loop.stop();
  });

  test('a kick during a claim brings another pass, so work made due meanwhile is not left waiting', async () => {
    const due: string[] = [];
    const firstClaim = gate();
    let claims = 0;
    const ran: string[] = [];
    const loop = createLeasedLoop<string>({
      concurrency: 4,
      claim: async () => {
        const found = due.splice(0);
        if (++claims === 1) await firstClaim.opened; // it looked before anything was due, and answers later
        return found;
      },
      run: async (item) => void ran.push(item),
      onError: (error) => assert.fail(String(error)),
    });
    await loop.start();
    due.push('made due during the first claim');
    loop.kick();
    firstClaim.open();
    await until(() => ran.length === 1, 'the item run by the second pass');
    assert.deepEqual(ran, ['made due during the first claim']);
    await loop.stop();
  });

  test('stop hands back what was claimed but never started, then waits for what runs', async () => {
    const hold = gate();
    const events: string[] = [];
    const loop = createLeasedLoop<string>({
      concurrency: 1,
      claim: async () => (events.includes('claimed') ? [] : (events.push('claimed'), ['a', 'b', 'c'])),
      run: async (item) => {
        events.push(`run ${item}`);
        await hold.opened;
        events.push(`end ${item}`);
      },
      giveBack: async (items) => void events.push(`given back ${items.join(' ')}`),
      onError: (error) => assert.fail(String(error)),
    });
    await loop.start();
    await until(() => events.includes('run a'), 'the first item running');
    const stopped = loop.stop();
    await until(() => events.some((event) => event.startsWith('given back')), 'the hand-back');
    assert.deepEqual(events, ['claimed', 'run a', 'given back b c'], 'given back while a still runs');
    hold.open();
    await stopped;
    assert.deepEqual(events, ['claimed', 'run a', 'given back b c', 'end a']);
    loop.kick();
    assert.equal(loop.running(), 0, 'nothing is claimed after stop');
  });
});
