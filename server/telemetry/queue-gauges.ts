// The queues as the database holds them, read on each scrape: render jobs queued and running and how long the oldest
// has waited, webhook deliveries waiting and how long the oldest has. Read from the shared database, every process
// reports the same whole queue (no sum across processes: take max or any one). One scrape reads once: the gauges
// share one snapshot, and a snapshot failing (database down) leaves the gauges out of that scrape.
import { Gauge } from 'prom-client';
import type { Db } from '../db/index.ts';
import type { Metrics } from './metrics.ts';

interface QueueSnapshot {
  jobs: { queued: number; running: number; oldestQueuedSeconds: number };
  deliveries: { pendingByEndpoint: Map<string, number>; oldestPendingSeconds: number };
}

async function readQueues(db: Db, now: number, endpointLabel: (id: string) => string): Promise<QueueSnapshot> {
  const jobRows = await db
    .selectFrom('jobs')
    .select((eb) => ['state', eb.fn.countAll<number>().as('count'), eb.fn.min('created_at').as('oldest')])
    .where('state', 'in', ['queued', 'running'])
    .groupBy('state')
    .execute();
  const queued = jobRows.find((row) => row.state === 'queued');
  const running = jobRows.find((row) => row.state === 'running');
  // Waiting deliveries: due or scheduled for a retry, or being sent now.
  const deliveryRows = await db
    .selectFrom('webhook_deliveries')
    .select((eb) => ['endpoint_id', eb.fn.countAll<number>().as('count'), eb.fn.min('created_at').as('oldest')])
    .where('state', 'in', ['pending', 'sending'])
    .groupBy('endpoint_id')
    .execute();
  const pendingByEndpoint = new Map<string, number>();
  for (const row of deliveryRows) {
    const label = endpointLabel(row.endpoint_id);
    pendingByEndpoint.set(label, (pendingByEndpoint.get(label) ?? 0) + Number(row.count));
  }
  const oldestDelivery = Math.min(...deliveryRows.map((row) => Number(row.oldest)));
  return {
    jobs: { queued: Number(queued?.count ?? 0), running: Number(running?.count ?? 0), oldestQueuedSeconds: queued ? Math.max(0, now - Number(queued.oldest)) : 0 },
    deliveries: { pendingByEndpoint, oldestPendingSeconds: deliveryRows.length ? Math.max(0, now - oldestDelivery) : 0 },
  };
}

/** Registers the queue gauges on `metrics`' registry. `clock`: Unix seconds. */
export function watchQueues(metrics: Metrics, db: Db, clock: () => number): void {
  let reading: Promise<QueueSnapshot> | null = null;
  /** The snapshot of the scrape under way: the gauges' collects run together and share one. */
  const snapshot = () => {
    reading ??= readQueues(db, clock(), metrics.endpointLabel).finally(() => setImmediate(() => (reading = null)));
    return reading;
  };
  const registers = [metrics.registry];

  new Gauge({
    name: 'avatar_render_jobs',
    help: 'Render jobs waiting (queued, retries included) and being run (running), in the whole database',
    labelNames: ['state'] as const,
    registers,
    async collect() {
      const { jobs } = await snapshot();
      this.set({ state: 'queued' }, jobs.queued);
      this.set({ state: 'running' }, jobs.running);
    },
  });
  new Gauge({
    name: 'avatar_render_job_oldest_queued_age_seconds',
    help: 'How long the oldest queued render job has existed (0: none queued)',
    registers,
    async collect() {
      this.set((await snapshot()).jobs.oldestQueuedSeconds);
    },
  });
  new Gauge({
    name: 'avatar_webhook_deliveries_pending',
    help: 'Webhook deliveries not yet delivered nor given up (due, waiting for a retry, or being sent), by endpoint',
    labelNames: ['endpoint'] as const,
    registers,
    async collect() {
      this.reset();
      for (const [endpoint, count] of (await snapshot()).deliveries.pendingByEndpoint) this.set({ endpoint }, count);
    },
  });
  new Gauge({
    name: 'avatar_webhook_oldest_pending_age_seconds',
    help: 'How long the oldest webhook delivery not yet delivered nor given up has existed (0: none)',
    registers,
    async collect() {
      this.set((await snapshot()).deliveries.oldestPendingSeconds);
    },
  });
}
