import client from 'prom-client';
import {
  DEPTH_SAMPLE,
  DEPTH_STATES,
  DURATION_BUCKETS,
  REJECT_REASONS,
  type QueueDepth,
  type QueueServices,
} from '@loopabull/core';

type CounterSpec = {
  counter: string;
  metric: string;
  help: string;
  label?: string;
  /** Label values shown at 0 before any is counted, so that a rate() over them works from the start. */
  known?: readonly string[];
};

/** Counters kept in Redis by loopers and workers, exposed under Prometheus names. */
const COUNTERS: CounterSpec[] = [
  {
    counter: 'consumed',
    metric: 'loopabull_messages_consumed_total',
    help: 'Bus messages received by loopers',
  },
  {
    counter: 'enqueued',
    metric: 'loopabull_messages_enqueued_total',
    help: 'Bus messages turned into jobs',
  },
  {
    counter: 'repeated',
    metric: 'loopabull_messages_repeated_total',
    help: 'Enqueued bus messages whose job was already there (a redelivery, or the same message published again): nothing new ran',
  },
  {
    counter: 'filtered',
    metric: 'loopabull_messages_filtered_total',
    help: 'Bus messages dropped by the routing_keys filter',
  },
  {
    counter: 'parked',
    metric: 'loopabull_messages_parked_total',
    help: 'Bus messages that could not become events, by reason',
    label: 'reason',
    known: REJECT_REASONS,
  },
  {
    counter: 'completed',
    metric: 'loopabull_jobs_completed_total',
    help: 'Jobs whose automation succeeded, by topic',
    label: 'topic',
  },
  {
    counter: 'retried',
    metric: 'loopabull_jobs_retried_total',
    help: 'Failed attempts that will be retried, by topic',
    label: 'topic',
  },
  {
    counter: 'failed',
    metric: 'loopabull_jobs_failed_total',
    help: 'Jobs parked in the failed set after their last attempt, by topic',
    label: 'topic',
  },
  {
    counter: 'unrouted',
    metric: 'loopabull_jobs_unrouted_total',
    help: 'Jobs whose topic has no automation, by topic',
    label: 'topic',
  },
];

/**
 * A Prometheus registry for the whole installation: counters and histograms come from Redis,
 * where every looper and worker process adds to them, and queue gauges are read at scrape time.
 */
export function createMetrics(services: QueueServices): client.Registry {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'loopabull_serve_' });
  const counters = perScrape(() => services.counters.read());
  const depth = perScrape(() => services.work.depth());

  for (const spec of COUNTERS) {
    new client.Counter({
      name: spec.metric,
      help: spec.help,
      labelNames: spec.label ? [spec.label] : [],
      registers: [registry],
      async collect() {
        this.reset();
        for (const known of spec.known ?? []) this.inc({ [spec.label!]: known }, 0);
        for (const [label, value] of Object.entries((await counters())[spec.counter] ?? {})) {
          if (spec.label) this.inc({ [spec.label]: label }, value);
          else this.inc(value);
        }
      },
    });
  }

  const gauge = (
    name: string,
    help: string,
    labelNames: string[],
    fill: (g: client.Gauge, depth: QueueDepth) => void,
  ) =>
    new client.Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        const d = await depth();
        this.reset();
        fill(this, d);
      },
    });
  gauge('loopabull_queue_jobs', 'Jobs in the work queue by state', ['state'], (g, d) => {
    for (const state of DEPTH_STATES) g.set({ state }, d[state]);
  });
  gauge(
    'loopabull_queue_waiting',
    `Waiting jobs by topic, among the next ${DEPTH_SAMPLE} to run`,
    ['topic'],
    (g, d) => {
      for (const [topic, n] of Object.entries(d.by_topic)) g.set({ topic }, n);
    },
  );
  gauge('loopabull_queue_oldest_waiting_seconds', 'Age of the oldest waiting job', [], (g, d) =>
    g.set(d.oldest_waiting_seconds),
  );
  gauge('loopabull_queue_paused', '1 while workers are paused', [], (g, d) =>
    g.set(d.paused ? 1 : 0),
  );

  registry.registerMetric(durationHistogram(services) as unknown as client.Metric);
  return registry;
}

/** prom-client collects every metric at once: one Redis read per scrape serves them all. */
function perScrape<T>(read: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | null = null;
  return () => (pending ??= read().finally(() => setImmediate(() => (pending = null))));
}

/** Run durations are bucketed by the workers into Redis; this hands those buckets to prom-client. */
function durationHistogram(services: QueueServices) {
  const name = 'loopabull_run_duration_seconds';
  return {
    name,
    help: 'How long automations ran, by topic',
    type: 'histogram',
    aggregator: 'sum',
    reset() {},
    async get() {
      const values: Array<{
        labels: Record<string, string | number>;
        value: number;
        metricName: string;
      }> = [];
      for (const [topic, fields] of Object.entries(await services.counters.readDurations())) {
        for (const le of [...DURATION_BUCKETS, '+Inf'] as const) {
          values.push({
            labels: { topic, le },
            value: fields[String(le)] ?? 0,
            metricName: `${name}_bucket`,
          });
        }
        values.push({ labels: { topic }, value: fields.sum ?? 0, metricName: `${name}_sum` });
        values.push({ labels: { topic }, value: fields['+Inf'] ?? 0, metricName: `${name}_count` });
      }
      return { name, help: this.help, type: this.type, values, aggregator: this.aggregator };
    },
  };
}
