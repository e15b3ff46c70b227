import {
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type InjectionToken,
  type OnApplicationShutdown,
  type Provider,
} from '@nestjs/common';
import { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';
import { KafkaGateway, type KafkaSettings } from '#kafka';
import type { Logger } from '#logger';
import { createDataSource } from '#persistence';
import type { ReadinessCheck } from './health.module.js';
import { LOGGER, READINESS_CHECKS } from './tokens.js';

export const DATA_SOURCE = Symbol('journalwire.data-source');
export const KAFKA = Symbol('journalwire.kafka');
export const REDIS = Symbol('journalwire.redis');

export interface InfrastructureOptions {
  /** The app's name: Redis's CLIENT SETNAME (`journalwire-<service>`) and the shutdown line. */
  service: string;
  logger: Logger;
  databaseUrl?: string;
  kafka?: KafkaSettings;
  redisUrl?: string;
}

const SERVICE = Symbol('journalwire.infrastructure-service');

/** Closes the clients last, after the consumers and the listeners have stopped. */
@Injectable()
class InfrastructureShutdown implements OnApplicationShutdown {
  constructor(
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource | null,
    @Inject(REDIS) private readonly redis: Redis | null,
    @Inject(KAFKA) private readonly kafka: KafkaGateway | null,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(SERVICE) private readonly service: string,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.kafka?.closeAdmin();
    await this.redis?.quit().catch(() => this.redis?.disconnect());
    if (this.dataSource?.isInitialized) await this.dataSource.destroy().catch(() => undefined);
    this.logger.info(`${this.service}: connections closed`);
  }
}

/**
 * The one seam for I/O clients: PostgreSQL (TypeORM), Kafka and Redis, each provided only when
 * the app configures it, with a readiness check per connection and orderly shutdown.
 */
@Module({})
export class InfrastructureModule {
  static register(options: InfrastructureOptions): DynamicModule {
    const providers: Provider[] = [
      { provide: LOGGER, useValue: options.logger },
      { provide: SERVICE, useValue: options.service },
      {
        provide: DATA_SOURCE,
        useFactory: async () => (options.databaseUrl ? createDataSource(options.databaseUrl).initialize() : null),
      },
      {
        provide: KAFKA,
        useFactory: () => (options.kafka ? new KafkaGateway(options.kafka, options.logger) : null),
      },
      {
        provide: REDIS,
        useFactory: () => {
          if (!options.redisUrl) return null;
          const redis = new Redis(options.redisUrl, {
            maxRetriesPerRequest: 3,
            connectionName: `journalwire-${options.service}`,
          });
          redis.on('error', (error: Error) => options.logger.warn({ err: error }, `redis: ${error.message}`));
          return redis;
        },
      },
      InfrastructureShutdown,
    ];
    return { module: InfrastructureModule, global: true, providers, exports: [DATA_SOURCE, KAFKA, REDIS, LOGGER] };
  }
}

/**
 * Readiness checks for whichever connections an app has, plus the ones `extra` builds from the
 * providers named in `inject` (e.g. a consumer that must have joined its group).
 */
export function readinessProviderFor<D extends unknown[]>(
  inject: InjectionToken[],
  extra: (...dependencies: D) => ReadinessCheck[],
): Provider {
  return {
    provide: READINESS_CHECKS,
    inject: [DATA_SOURCE, KAFKA, REDIS, ...inject],
    useFactory: (dataSource: DataSource | null, kafka: KafkaGateway | null, redis: Redis | null, ...rest: D) => [
      ...readinessChecks(dataSource, kafka, redis),
      ...extra(...rest),
    ],
  };
}

/** Readiness checks for whichever connections an app has, plus `extra` (e.g. a processor's wait). */
export function readinessProviderWith(extra: ReadinessCheck[]): Provider {
  return readinessProviderFor([], () => extra);
}

/** Readiness checks for whichever connections an app has. */
export const readinessProvider: Provider = readinessProviderWith([]);

function readinessChecks(
  dataSource: DataSource | null,
  kafka: KafkaGateway | null,
  redis: Redis | null,
): ReadinessCheck[] {
  const checks: ReadinessCheck[] = [];
  if (dataSource) checks.push({ name: 'postgresql', check: async () => void (await dataSource.query('SELECT 1')) });
  if (kafka) checks.push({ name: 'kafka', check: () => kafka.ping() });
  if (redis)
    checks.push({
      name: 'redis',
      check: async () => {
        if ((await redis.ping()) !== 'PONG') throw new Error('Redis did not answer PONG');
      },
    });
  return checks;
}
