import { Controller, Get, Header, Inject, Module, type DynamicModule } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Every metric journalwire exports, in one registry per process. */
export class PipelineMetrics {
  readonly registry = new Registry();

  readonly extracted = new Counter({
    name: 'journalwire_messages_extracted_total',
    help: 'Messages published to journal.raw.v2',
    labelNames: ['connector'],
    registers: [this.registry],
  });
  readonly extractedBytes = new Counter({
    name: 'journalwire_bytes_extracted_total',
    help: 'Bytes of messages published to journal.raw.v2',
    labelNames: ['connector'],
    registers: [this.registry],
  });
  readonly classified = new Counter({
    name: 'journalwire_messages_classified_total',
    help: 'Messages classified',
    labelNames: ['connector', 'classification', 'kind'],
    registers: [this.registry],
  });
  readonly archived = new Counter({
    name: 'journalwire_messages_archived_total',
    help: 'Archive and merge events',
    labelNames: ['connector', 'event'],
    registers: [this.registry],
  });
  readonly archivedBytes = new Counter({
    name: 'journalwire_bytes_archived_total',
    help: 'Bytes of archived messages (inline)',
    labelNames: ['connector'],
    registers: [this.registry],
  });
  readonly rejected = new Counter({
    name: 'journalwire_messages_rejected_total',
    help: 'Messages rejected by the journaling filters',
    labelNames: ['connector', 'reason'],
    registers: [this.registry],
  });
  readonly deadLettered = new Counter({
    name: 'journalwire_messages_dead_lettered_total',
    help: 'Records sent to journal.dlq.v2',
    labelNames: ['connector', 'stage'],
    registers: [this.registry],
  });
  readonly pop3SessionSeconds = new Histogram({
    name: 'journalwire_pop3_session_duration_seconds',
    help: 'POP3 extraction session durations',
    labelNames: ['connector', 'result'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [this.registry],
  });
  readonly pop3Errors = new Counter({
    name: 'journalwire_pop3_errors_total',
    help: 'POP3 session errors by kind',
    labelNames: ['connector', 'code'],
    registers: [this.registry],
  });
  readonly latencySeconds = new Histogram({
    name: 'journalwire_processing_latency_seconds',
    help: 'Time from extraction to the end of each stage',
    labelNames: ['stage'],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly consumerLag = new Gauge({
    name: 'journalwire_consumer_lag',
    help: 'Records behind the end of each partition',
    labelNames: ['group', 'topic', 'partition'],
    registers: [this.registry],
  });

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
