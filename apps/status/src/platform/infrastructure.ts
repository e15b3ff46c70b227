import { Inject, Injectable, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';
import { kafkaConnection } from '#config';
import { KafkaGateway } from '#kafka';
import type { Logger } from '#logger';
import { createDataSource, CredentialCipher } from '#persistence';
import { CONFIG, LOGGER, type ReadinessCheck } from '#platform';
import { probeMailbox } from '#pop3';
import type { StatusConfig } from '../config.js';
import { CIPHER, DATA_SOURCE, KAFKA, PROBE_MAILBOX, REDIS } from './tokens.js';

/** PostgreSQL, Redis, Kafka and the credential cipher, built from the one config. */
export const infrastructureProviders: Provider[] = [
  {
    provide: DATA_SOURCE,
    inject: [CONFIG],
    useFactory: async (config: StatusConfig): Promise<DataSource> => createDataSource(config.DATABASE_URL).initialize(),
  },
  {
    provide: REDIS,
    inject: [CONFIG, LOGGER],
    useFactory: (config: StatusConfig, logger: Logger): Redis => {
      const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 3, connectionName: 'journalwire-status' });
      redis.on('error', (error: Error) => logger.warn({ err: error }, `redis: ${error.message}`));
      return redis;
    },
  },
  {
    provide: KAFKA,
    inject: [CONFIG, LOGGER],
    useFactory: (config: StatusConfig, logger: Logger): KafkaGateway =>
      new KafkaGateway(kafkaConnection(config, `${config.KAFKA_CLIENT_ID}-status`), logger),
  },
  {
    provide: CIPHER,
    inject: [CONFIG],
    useFactory: (config: StatusConfig): CredentialCipher =>
      new CredentialCipher(config.CREDENTIAL_KEY, config.CREDENTIAL_KEYS_PREVIOUS),
  },
  { provide: PROBE_MAILBOX, useValue: probeMailbox },
];

/** Closes Redis and PostgreSQL last, after the consumer and the listeners have stopped. */
@Injectable()
export class InfrastructureShutdown implements OnApplicationShutdown {
  constructor(
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(KAFKA) private readonly kafka: KafkaGateway,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.kafka.closeAdmin();
    await this.redis.quit().catch(() => this.redis.disconnect());
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
    this.logger.info('status: connections closed');
  }
}

/** The readiness checks: PostgreSQL, Redis, Kafka. */
export function readinessChecks(dataSource: DataSource, redis: Redis, kafka: KafkaGateway): ReadinessCheck[] {
  return [
    { name: 'postgresql', check: async () => void (await dataSource.query('SELECT 1')) },
    {
      name: 'redis',
      check: async () => {
        if ((await redis.ping()) !== 'PONG') throw new Error('Redis did not answer PONG');
      },
    },
    { name: 'kafka', check: () => kafka.ping() },
  ];
}
