// What GET /metrics shows (ops/metrics-route.ts), in the Prometheus text format: HTTP requests, render jobs, webhook
// deliveries, storage and database calls, and the process (prom-client's defaults). Each server has a registry of
// its own, so two in one process (tests) count apart. Every label has a bounded set of values: route templates
// (never paths), methods, status codes, outcomes, operations, and at most MAX_ENDPOINT_LABELS webhook endpoints.
// Counters and histograms count what this process did; the queue gauges are read from the database on each scrape
// (queue-gauges.ts), so every process reports the whole queue, whoever fills and drains it.
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { DeliveryOutcome } from '../webhooks/dispatcher.ts';
import type { FinishedRequest } from './request-log.ts';

/** Webhook endpoints named in labels; more than this (an admin creating hundreds) share the label `other`. */
export const MAX_ENDPOINT_LABELS = 50;

/** Seconds, from a fast cached answer to a slow upload. */
const HTTP_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** A render takes tenths of a second to tens of seconds (AVATAR_PROCESSING_TIMEOUT_SECONDS is 30 by default). */
const JOB_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120];
/** Calls to the database and the storage: from a SQLite read to an S3 upload. */
const CALL_BUCKETS = [0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];

export interface Metrics {
  readonly registry: Registry;
  request(request: FinishedRequest): void;
  jobFinished(outcome: 'ready' | 'failed', seconds: number | null): void;
  jobAttemptFailed(): void;
  deliveryAttempt(endpointId: string, outcome: DeliveryOutcome, seconds: number): void;
  storageCall(operation: string, seconds: number, failed: boolean): void;
  databaseCall(operation: string, seconds: number, failed: boolean): void;
  /** The label for a webhook endpoint: its id, or `other` past MAX_ENDPOINT_LABELS. */
  endpointLabel(endpointId: string): string;
}

export function createMetrics(backends: { storage: string; database: string }): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const httpRequests = new Counter({ name: 'avatar_http_requests_total', help: 'HTTP requests answered, by method, route template and status', labelNames: ['method', 'route', 'status'] as const, registers });
  const httpDuration = new Histogram({
    name: 'avatar_http_request_duration_seconds',
    help: 'Time from a request arriving to its response ending, by method, route template and status class (2xx…5xx)',
    labelNames: ['method', 'route', 'status_class'] as const,
    buckets: HTTP_BUCKETS,
    registers,
  });
  const jobsFinished = new Counter({ name: 'avatar_render_jobs_finished_total', help: 'Render jobs finished, by outcome (ready, or failed: the file failed)', labelNames: ['outcome'] as const, registers });
  const jobDuration = new Histogram({ name: 'avatar_render_job_duration_seconds', help: 'Time a render job ran, by outcome', labelNames: ['outcome'] as const, buckets: JOB_BUCKETS, registers });
  const jobAttemptErrors = new Counter({ name: 'avatar_render_job_attempt_errors_total', help: 'Render job attempts that threw (retried, or given up after the last)', registers });
  const deliveries = new Counter({
    name: 'avatar_webhook_delivery_attempts_total',
    help: 'Webhook delivery attempts, by endpoint and outcome (succeeded; retrying: failed, another attempt scheduled; failed: no attempt left)',
    labelNames: ['endpoint', 'outcome'] as const,
    registers,
  });
  const deliveryDuration = new Histogram({ name: 'avatar_webhook_delivery_attempt_duration_seconds', help: 'Time a webhook delivery attempt took, by outcome', labelNames: ['outcome'] as const, buckets: CALL_BUCKETS, registers });
  const storageDuration = new Histogram({ name: 'avatar_storage_call_duration_seconds', help: 'Object storage calls, by backend and operation', labelNames: ['backend', 'operation'] as const, buckets: CALL_BUCKETS, registers });
  const storageErrors = new Counter({ name: 'avatar_storage_call_errors_total', help: 'Object storage calls that failed, by backend and operation', labelNames: ['backend', 'operation'] as const, registers });
  const databaseDuration = new Histogram({ name: 'avatar_db_query_duration_seconds', help: 'Database queries, by backend and kind', labelNames: ['backend', 'operation'] as const, buckets: CALL_BUCKETS, registers });
  const databaseErrors = new Counter({ name: 'avatar_db_query_errors_total', help: 'Database queries that failed, by backend and kind', labelNames: ['backend', 'operation'] as const, registers });

  const endpointLabels = new Set<string>();
  function endpointLabel(endpointId: string): string {
    if (endpointLabels.has(endpointId)) return endpointId;
    if (endpointLabels.size >= MAX_ENDPOINT_LABELS) return 'other';
    endpointLabels.add(endpointId);
    return endpointId;
  }

  return {
    registry,
    request({ method, route, status, seconds }) {
      httpRequests.inc({ method, route, status: String(status) });
      httpDuration.observe({ method, route, status_class: `${Math.floor(status / 100)}xx` }, seconds);
    },
    jobFinished(outcome, seconds) {
      jobsFinished.inc({ outcome });
      if (seconds !== null) jobDuration.observe({ outcome }, seconds);
    },
    jobAttemptFailed: () => jobAttemptErrors.inc(),
    deliveryAttempt(endpointId, outcome, seconds) {
      deliveries.inc({ endpoint: endpointLabel(endpointId), outcome });
      deliveryDuration.observe({ outcome }, seconds);
    },
    storageCall(operation, seconds, failed) {
      storageDuration.observe({ backend: backends.storage, operation }, seconds);
      if (failed) storageErrors.inc({ backend: backends.storage, operation });
    },
    databaseCall(operation, seconds, failed) {
      databaseDuration.observe({ backend: backends.database, operation }, seconds);
      if (failed) databaseErrors.inc({ backend: backends.database, operation });
    },
    endpointLabel,
  };
}
