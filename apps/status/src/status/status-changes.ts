import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { Subject, type Observable } from 'rxjs';
import type { ConnectorStatusView } from '#contracts';
import type { Logger } from '#logger';
import { LOGGER, REDIS } from '#platform';
import { STATUS_KEYS } from './status.keys.js';

/** Status changes from the Redis channel, shared by every watcher of this instance. */
@Injectable()
export class StatusChanges implements OnModuleDestroy {
  private readonly subject = new Subject<ConnectorStatusView>();
  private subscriber: Redis | undefined;
  private subscribed: Promise<void> | undefined;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * Resolves once this instance listens to the channel (changes after that are delivered; ioredis
   * resubscribes by itself after a reconnect). A failed attempt is forgotten, so the next call
   * tries again instead of returning the same rejection forever.
   */
  listen(): Promise<void> {
    this.subscribed ??= this.connect().catch((error: unknown) => {
      this.subscribed = undefined;
      this.subscriber?.disconnect();
      this.subscriber = undefined;
      throw error;
    });
    return this.subscribed;
  }

  get changes(): Observable<ConnectorStatusView> {
    return this.subject.asObservable();
  }

  private async connect(): Promise<void> {
    const subscriber = this.redis.duplicate({ connectionName: 'journalwire-status-watch' });
    this.subscriber = subscriber;
    subscriber.on('error', (error: Error) => this.logger.warn({ err: error }, `redis subscriber: ${error.message}`));
    subscriber.on('message', (_channel: string, message: string) => {
      try {
        this.subject.next(JSON.parse(message) as ConnectorStatusView);
      } catch (error) {
        this.logger.warn({ err: error }, 'ignored an unreadable status change');
      }
    });
    await subscriber.subscribe(STATUS_KEYS.changesChannel);
  }

  async onModuleDestroy(): Promise<void> {
    this.subject.complete();
    await this.subscriber?.quit().catch(() => this.subscriber?.disconnect());
  }
}
