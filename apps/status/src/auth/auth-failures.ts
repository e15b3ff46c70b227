import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { ThrottlerStorageService } from '@nestjs/throttler';
import { JournalwireError } from '#errors';
import { CONFIG } from '#platform';
import type { StatusConfig } from '../config.js';

const THROTTLER = 'auth-failures';

/**
 * Failed authentications per client address, counted in @nestjs/throttler's storage: after
 * AUTH_FAILURE_LIMIT failures within AUTH_FAILURE_WINDOW_MS the address is refused (429, even
 * with a valid token) for AUTH_FAILURE_BLOCK_MS. Successful requests are not counted.
 */
@Injectable()
export class AuthFailures implements OnApplicationShutdown {
  private readonly storage = new ThrottlerStorageService();

  constructor(@Inject(CONFIG) private readonly config: StatusConfig) {}

  /** Throws `rate-limited` while the address is blocked. */
  assertAllowed(address: string): void {
    const record = this.storage.storage.get(address);
    if (record?.isBlocked && record.blockExpiresAt > Date.now()) throw this.blocked(record.blockExpiresAt - Date.now());
  }

  /** Counts a failure; throws `rate-limited` if it crossed the limit. */
  async fail(address: string): Promise<void> {
    const result = await this.storage.increment(
      address,
      this.config.AUTH_FAILURE_WINDOW_MS,
      this.config.AUTH_FAILURE_LIMIT,
      this.config.AUTH_FAILURE_BLOCK_MS,
      THROTTLER,
    );
    if (result.isBlocked) throw this.blocked(result.timeToBlockExpire * 1000);
  }

  private blocked(remainingMs: number): JournalwireError {
    const retryAfterSeconds = Math.max(1, Math.ceil(remainingMs / 1000));
    return new JournalwireError(
      'rate-limited',
      `Too many failed authentications from this address: retry in ${retryAfterSeconds} s`,
      { details: { retryAfterSeconds } },
    );
  }

  onApplicationShutdown(): void {
    this.storage.onApplicationShutdown();
  }
}
