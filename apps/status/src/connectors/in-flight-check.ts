import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { pollerInFlightKey, pollerLeaseKey } from '#contracts';
import { REDIS } from '#platform';

/** Why a connector's mail may still be on its way (see ConnectorsService.delete). */
export interface InFlightReason {
  code: 'processing-queue' | 'poller-session' | 'poller-in-flight';
  message: string;
}

/**
 * Everything that says a connector still has mail in flight, beyond the processing queue of the
 * status counters: those follow journal.progress.v1 and know nothing of a running POP3 session or
 * of a batch whose transaction is still open, so the poller's own Redis keys are asked too. (The
 * aggregator's lag is not: a partition ending in an aborted transaction, or a control record,
 * looks the same as one with unapplied records, so it would refuse deletions for no reason.)
 */
@Injectable()
export class InFlightCheck {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async reasons(connectorId: string, processingQueue: number): Promise<InFlightReason[]> {
    const reasons: InFlightReason[] = [];
    if (processingQueue > 0)
      reasons.push({ code: 'processing-queue', message: `${processingQueue} message(s) in its processing queue` });
    const [lease, marker] = await Promise.all([
      this.redis.exists(pollerLeaseKey(connectorId)),
      this.redis.exists(pollerInFlightKey(connectorId)),
    ]);
    if (lease > 0)
      reasons.push({
        code: 'poller-session',
        message: 'a poller session is extracting its mailbox (its lease is held)',
      });
    if (marker > 0)
      reasons.push({
        code: 'poller-in-flight',
        message: 'messages the poller handed to Kafka are not yet confirmed (its in-flight marker is set)',
      });
    return reasons;
  }
}
