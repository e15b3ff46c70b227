import { Module, type DynamicModule } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';
import { kafkaConnection } from '#config';
import type { KafkaGateway } from '#kafka';
import type { Logger } from '#logger';
import {
  CONFIG,
  DATA_SOURCE,
  HealthModule,
  InfrastructureModule,
  KAFKA,
  LOGGER,
  METRICS,
  MetricsModule,
  PipelineMetrics,
  readinessProvider,
  REDIS,
} from '#platform';
import type { PollerConfig } from './config.js';
import { PollerService } from './poller.service.js';
import { createPollerRuntime } from './runtime.js';
import { POLLER_RUNTIME } from './tokens.js';

@Module({})
export class PollerModule {
  static register(config: PollerConfig, logger: Logger): DynamicModule {
    return {
      module: PollerModule,
      imports: [
        InfrastructureModule.register({
          service: 'poller',
          logger,
          databaseUrl: config.DATABASE_URL,
          redisUrl: config.REDIS_URL,
          kafka: kafkaConnection(config, `${config.KAFKA_CLIENT_ID}-poller`),
        }),
        // Ready when PostgreSQL, Redis and Kafka answer.
        HealthModule.register(readinessProvider),
        MetricsModule.register(new PipelineMetrics()),
      ],
      providers: [
        { provide: CONFIG, useValue: config },
        {
          provide: POLLER_RUNTIME,
          inject: [DATA_SOURCE, KAFKA, REDIS, LOGGER, METRICS],
          useFactory: (
            dataSource: DataSource,
            kafka: KafkaGateway,
            redis: Redis,
            log: Logger,
            metrics: PipelineMetrics,
          ) => createPollerRuntime(config, { dataSource, kafka, redis }, log, metrics),
        },
        PollerService,
      ],
    };
  }
}
