import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { pollerLeaseKey } from '#contracts';
import type { Logger } from '#logger';

/** Extends the lease only while it still carries our token. */
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
/** Deletes the lease only while it still carries our token. */
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

/** What a session needs from its lease: whether it may still touch the mailbox. */
export interface LeaseHandle {
  readonly held: boolean;
  readonly lostReason: string | null;
}

/**
 * One poller at a time per mailbox: `SET key token NX PX ttl`, renewed every ttl/3 by a
 * compare-and-pexpire script. The lease counts as lost as soon as a renewal fails or the local
 * clock passes the last confirmed expiry (minus a safety margin), whichever comes first.
 */
export class LeaseManager {
  constructor(
    private readonly redis: Redis,
    private readonly instanceId: string,
    private readonly ttlMs: number,
    private readonly logger: Logger,
  ) {}

  /** The lease, or null when another instance holds it. */
  async acquire(connectorId: string): Promise<Lease | null> {
    const token = `${this.instanceId}/${randomUUID()}`;
    const key = pollerLeaseKey(connectorId);
    const requestedAt = Date.now();
    const ok = await this.redis.set(key, token, 'PX', this.ttlMs, 'NX');
    if (ok !== 'OK') return null;
    return new Lease(this.redis, key, token, this.ttlMs, requestedAt, this.logger.child({ connectorId, lease: key }));
  }

  /** The token of whoever holds the lease now (for diagnostics). */
  async holder(connectorId: string): Promise<string | null> {
    return this.redis.get(pollerLeaseKey(connectorId));
  }
}

export class Lease implements LeaseHandle {
  private lost: string | null = null;
  private validUntil: number;
  private readonly timer: NodeJS.Timeout;
  private renewing = false;
  private released = false;

  constructor(
    private readonly redis: Redis,
    readonly key: string,
    readonly token: string,
    private readonly ttlMs: number,
    grantedAt: number,
    private readonly logger: Logger,
  ) {
    this.validUntil = grantedAt + ttlMs;
    this.timer = setInterval(() => void this.renew(), Math.max(250, Math.floor(ttlMs / 3)));
    this.timer.unref();
  }

  get held(): boolean {
    if (this.lost || this.released) return false;
    // Stop touching the mailbox a little before the lease could expire under us.
    if (Date.now() > this.validUntil - Math.floor(this.ttlMs / 6)) {
      this.markLost('the lease was not renewed in time');
      return false;
    }
    return true;
  }

  get lostReason(): string | null {
    return this.lost;
  }

  private async renew(): Promise<void> {
    if (this.renewing || this.lost || this.released) return;
    this.renewing = true;
    const requestedAt = Date.now();
    try {
      const result = await this.redis.eval(RENEW, 1, this.key, this.token, String(this.ttlMs));
      if (Number(result) === 1) this.validUntil = requestedAt + this.ttlMs;
      else this.markLost('another instance holds the lease');
    } catch (error) {
      this.markLost(`renewal failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      this.renewing = false;
    }
  }

  private markLost(reason: string): void {
    if (this.lost) return;
    this.lost = reason;
    clearInterval(this.timer);
    this.logger.warn({ reason }, 'mailbox lease lost; the session stops at the next safe point');
  }

  async release(): Promise<void> {
    clearInterval(this.timer);
    if (this.released) return;
    this.released = true;
    try {
      // Compare-and-delete: harmless when the lease already passed to another instance.
      await this.redis.eval(RELEASE, 1, this.key, this.token);
    } catch (error) {
      this.logger.warn({ err: error }, 'could not release the mailbox lease; it expires on its own');
    }
  }
}
