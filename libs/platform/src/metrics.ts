import { Controller, Get, Header, Inject, Module, type DynamicModule } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Every metric journalwire exports, in one registry per process. */
export class PipelineMetrics {
  readonly registry = new Registry();

  readonly extracted = this.counter('journalwire_messages_extracted_total', 'Messages published to journal.raw.v2', [
    'connector',
  ]);
  readonly extractedBytes = this.counter(
    'journalwire_bytes_extracted_total',
    'Bytes of messages published to journal.raw.v2',
    ['connector'],
  );
  readonly classified = this.counter('journalwire_messages_classified_total', 'Messages classified', [
    'connector',
    'classification',
    'kind',
  ]);
  readonly archived = this.counter('journalwire_messages_archived_total', 'Archive and merge events', [
    'connector',
    'event',
  ]);
  readonly archivedBytes = this.counter('journalwire_bytes_archived_total', 'Bytes of archived messages (inline)', [
    'connector',
  ]);
  readonly rejected = this.counter(
    'journalwire_messages_rejected_total',
    'Messages rejected by the journaling filters',
    ['connector', 'reason'],
  );
  readonly deadLettered = this.counter('journalwire_messages_dead_lettered_total', 'Records sent to journal.dlq.v2', [
    'connector',
    'stage',
  ]);
  readonly pop3SessionSeconds = this.histogram(
    'journalwire_pop3_session_duration_seconds',
    'POP3 extraction session durations',
    ['connector', 'result'],
    [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
  );
  readonly pop3Errors = this.counter('journalwire_pop3_errors_total', 'POP3 session errors by kind', [
    'connector',
    'code',
  ]);
  readonly latencySeconds = this.histogram(
    'journalwire_processing_latency_seconds',
    'Time from extraction to the end of each stage',
    ['stage'],
    [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  );
  readonly consumerLag = new Gauge({
    name: 'journalwire_consumer_lag',
    help: 'Records behind the end of each partition',
    labelNames: ['group', 'topic', 'partition'],
    registers: [this.registry],
  });

  private counter<L extends string>(name: string, help: string, labelNames: L[]): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  private histogram<L extends string>(name: string, help: string, labelNames: L[], buckets: number[]): Histogram<L> {
    return new Histogram({ name, help, labelNames, buckets, registers: [this.registry] });
  }

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'journalwire_process_' });
  }

  /** Records how long after extraction a stage finished with a message. */
  observeLatency(stage: string, extractedAt: string): void {
    const seconds = (Date.now() - Date.parse(extractedAt)) / 1000;
    if (Number.isFinite(seconds) && seconds >= 0) this.latencySeconds.observe({ stage }, seconds);
  }
}

export const METRICS = Symbol('journalwire.metrics');
export const LAG_SOURCE = Symbol('journalwire.lag-source');

/** Supplies consumer lag at scrape time (group, topic, partition, lag). */
export interface LagSource {
  lag(): Promise<Array<{ group: string; topic: string; partition: number; lag: number }>>;
}

@Controller('metrics')
class MetricsController {
  constructor(
    @Inject(METRICS) private readonly metrics: PipelineMetrics,
    @Inject(LAG_SOURCE) private readonly lagSource: LagSource | null,
  ) {}

  @Get()
  @Header('content-type', 'text/plain; version=0.0.4')
  async scrape(): Promise<string> {
    if (this.lagSource) {
      try {
        this.metrics.consumerLag.reset();
        for (const entry of await this.lagSource.lag()) {
          this.metrics.consumerLag.set(
            { group: entry.group, topic: entry.topic, partition: String(entry.partition) },
            entry.lag,
          );
        }
      } catch {
        // lag is best effort: a scrape never fails because Kafka is slow
      }
    }
    return this.metrics.registry.metrics();
  }
}

@Module({})
export class MetricsModule {
  static register(metrics: PipelineMetrics, lagSource: LagSource | null = null): DynamicModule {
    return {
      module: MetricsModule,
      global: true,
      controllers: [MetricsController],
      providers: [
        { provide: METRICS, useValue: metrics },
        { provide: LAG_SOURCE, useValue: lagSource },
      ],
      exports: [METRICS],
    };
  }
}
