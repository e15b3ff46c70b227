import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { In, type DataSource, type Repository } from 'typeorm';
import { kafkaConnection } from '#config';
import type { KafkaGateway } from '#kafka';
import type { Logger } from '#logger';
import { ConnectorEntity, CredentialCipher } from '#persistence';
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
  ProtocolLogStore,
  readinessProvider,
  REDIS,
} from '#platform';
import type { PollerConfig } from './config.js';
import type { SessionDeps } from './extraction-session.js';
import { RedisInFlightStore } from './in-flight.js';
import { KafkaInFlightScanner } from './in-flight-settlement.js';
import { LeaseManager } from './lease.js';
import { ExtractionLedger, RetrievalFailures } from './ledger.js';
import { PollerService } from './poller.service.js';
import { TransactionalRawPublisher } from './raw-publisher.js';
import { pollerSummary, sessionDepsOf, type PollerRuntime } from './runtime.js';
import { ScheduleStore } from './schedule-store.js';
import { Scheduler } from './scheduler.js';
import { SessionRunner } from './session-runner.js';
import { SessionTraces } from './session-traces.js';
import { ProducerSlot } from './producer-slot.js';
import { StatusReporter } from './status-reporter.js';
import { CIPHER, CONNECTORS, POLLER_RUNTIME, SESSION_DEPS } from './tokens.js';

/**
 * The poller's object graph as Nest providers. Its classes are framework-free (plain constructors
 * with settings), so each is provided by a factory that names what it injects.
 */
function pollerProviders(config: PollerConfig): Provider[] {
  return [
    { provide: CONFIG, useValue: config },
    { provide: CIPHER, useValue: new CredentialCipher(config.CREDENTIAL_KEY, config.CREDENTIAL_KEYS_PREVIOUS) },
    {
      provide: CONNECTORS,
      inject: [DATA_SOURCE],
      useFactory: (dataSource: DataSource) => dataSource.getRepository(ConnectorEntity),
    },
    { provide: ExtractionLedger, inject: [DATA_SOURCE], useFactory: (db: DataSource) => new ExtractionLedger(db) },
    { provide: RetrievalFailures, inject: [DATA_SOURCE], useFactory: (db: DataSource) => new RetrievalFailures(db) },
    { provide: RedisInFlightStore, inject: [REDIS], useFactory: (redis: Redis) => new RedisInFlightStore(redis) },
    { provide: ScheduleStore, inject: [REDIS], useFactory: (redis: Redis) => new ScheduleStore(redis) },
    {
      provide: KafkaInFlightScanner,
      inject: [KAFKA, LOGGER],
      useFactory: (kafka: KafkaGateway, logger: Logger) => new KafkaInFlightScanner(kafka, logger),
    },
    {
      provide: ProducerSlot,
      inject: [KAFKA, LOGGER],
      useFactory: (kafka: KafkaGateway, logger: Logger) => new ProducerSlot(kafka, logger),
    },
    {
      provide: TransactionalRawPublisher,
      inject: [KAFKA, RedisInFlightStore, KafkaInFlightScanner, ExtractionLedger, LOGGER],
      useFactory: (
        kafka: KafkaGateway,
        inFlight: RedisInFlightStore,
        scanner: KafkaInFlightScanner,
        ledger: ExtractionLedger,
        logger: Logger,
      ) =>
        new TransactionalRawPublisher(kafka, inFlight, scanner, ledger, logger, {
          instanceId: config.POLLER_INSTANCE_ID,
          maxPartitionBytes: config.PRODUCE_MAX_BYTES,
          timeoutMs: config.PUBLISH_TIMEOUT_MS,
        }),
    },
    {
      provide: StatusReporter,
      inject: [ProducerSlot, REDIS, ExtractionLedger, LOGGER],
      useFactory: (producer: ProducerSlot, redis: Redis, ledger: ExtractionLedger, logger: Logger) =>
        new StatusReporter(producer, redis, ledger, logger, Math.min(15_000, config.PUBLISH_TIMEOUT_MS)),
    },
    {
      provide: LeaseManager,
      inject: [REDIS, LOGGER],
      useFactory: (redis: Redis, logger: Logger) =>
        new LeaseManager(redis, config.POLLER_INSTANCE_ID, config.LEASE_TTL_MS, logger),
    },
    {
      provide: SessionTraces,
      inject: [REDIS, LOGGER],
      useFactory: (redis: Redis, logger: Logger) => new SessionTraces(new ProtocolLogStore(redis), logger),
    },
    {
      provide: SESSION_DEPS,
      inject: [
        CIPHER,
        CONNECTORS,
        ExtractionLedger,
        RetrievalFailures,
        TransactionalRawPublisher,
        SessionTraces,
        LOGGER,
        METRICS,
      ],
      useFactory: (
        cipher: CredentialCipher,
        connectors: Repository<ConnectorEntity>,
        ledger: ExtractionLedger,
        failures: RetrievalFailures,
        publisher: TransactionalRawPublisher,
        sessionTraces: SessionTraces,
        logger: Logger,
        metrics: PipelineMetrics,
      ) => sessionDepsOf({ config, cipher, connectors, ledger, failures, publisher, sessionTraces, logger, metrics }),
    },
    {
      provide: SessionRunner,
      inject: [
        LeaseManager,
        ScheduleStore,
        StatusReporter,
        RetrievalFailures,
        SESSION_DEPS,
        SessionTraces,
        DATA_SOURCE,
        LOGGER,
        METRICS,
      ],
      useFactory: (
        leases: LeaseManager,
        schedule: ScheduleStore,
        status: StatusReporter,
        failures: RetrievalFailures,
        sessionDeps: SessionDeps,
        sessionTraces: SessionTraces,
        dataSource: DataSource,
        logger: Logger,
        metrics: PipelineMetrics,
      ) =>
        new SessionRunner(
          leases,
          schedule,
          status,
          failures,
          sessionDeps,
          {
            instanceId: config.POLLER_INSTANCE_ID,
            maxRetrievalAttempts: config.MAX_RETRIEVAL_ATTEMPTS,
            kafkaBackoffMaxMs: config.KAFKA_BACKOFF_MAX_MS,
            directoryHasInternalDomain: async () => {
              const rows = await dataSource.query<Array<{ present: boolean }>>(
                'SELECT EXISTS (SELECT 1 FROM directory_domains) AS present',
              );
              return rows[0]?.present === true;
            },
            onSessionEnd: (connector, result) => {
              sessionTraces.end(connector.id, result);
              const seconds = (result.endedAt.getTime() - result.startedAt.getTime()) / 1000;
              metrics.pop3SessionSeconds.observe({ connector: connector.id, result: result.outcome }, seconds);
              if (result.error) metrics.pop3Errors.inc({ connector: connector.id, code: result.error.code });
            },
          },
          logger,
        ),
    },
    {
      provide: Scheduler,
      inject: [CONNECTORS, ScheduleStore, SessionRunner, LOGGER],
      useFactory: (
        connectors: Repository<ConnectorEntity>,
        schedule: ScheduleStore,
        runner: SessionRunner,
        logger: Logger,
      ) =>
        new Scheduler(
          {
            list: () =>
              config.POLLER_CONNECTOR_IDS.length > 0
                ? connectors.find({ where: { id: In(config.POLLER_CONNECTOR_IDS) }, order: { createdAt: 'ASC' } })
                : connectors.find({ order: { createdAt: 'ASC' } }),
          },
          schedule,
          runner,
          {
            tickMs: config.POLL_TICK_MS,
            maxConcurrentSessions: config.MAX_CONCURRENT_SESSIONS,
            shutdownGraceMs: config.SHUTDOWN_GRACE_MS,
          },
          logger,
        ),
    },
    {
      provide: POLLER_RUNTIME,
      inject: [Scheduler, ProducerSlot],
      useFactory: (scheduler: Scheduler, statusProducer: ProducerSlot): PollerRuntime => ({
        scheduler,
        summary: pollerSummary(config),
        close: () => statusProducer.close(),
      }),
    },
    PollerService,
  ];
}

/** POP3 journal mailboxes → journal.raw.v2: PostgreSQL, Redis and Kafka, health, metrics, the scheduler. */
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
      providers: pollerProviders(config),
    };
  }
}
