import type { Redis } from 'ioredis';
import { pollerInFlightKey } from '#contracts';
import type { LedgerEntry } from './ledger.js';

// The in-flight marker and its store (Redis); in-flight-settlement.ts settles a marker left behind.

/**
 * Records that were handed to Kafka but not yet written to the ledger. Written just before a
 * batch's transaction and cleared once the ledger has the rows: if the poller dies in between
 * (or the commit's outcome is unknown), the next session for the connector fences the old
 * transactional producer and asks Kafka which of them were committed.
 */
export interface InFlightMarker {
  /** Names this marker, so that only its writer (or the session settling it) deletes it. */
  token: string;
  instanceId: string;
  /** Epoch ms just before the batch's transaction (its records carry a later CreateTime). */
  at: number;
  /** The ledger scope the batch was published under (absent in markers of older versions). */
  scope?: string;
  /**
   * How the batch's records were keyed: `raw-id` (each by its raw id, spread over partitions).
   * Absent in markers of older versions, whose records were all keyed by the connector id.
   */
  keys?: 'raw-id';
  entries: LedgerEntry[];
}

export interface InFlightPort {
  set(connectorId: string, marker: InFlightMarker): Promise<void>;
  get(connectorId: string): Promise<InFlightMarker | null>;
  /**
   * Deletes the connector's marker only if it is still `marker` (compare-and-delete): a poller
   * that lost its lease must not delete the marker of the session that took over.
   */
  clear(connectorId: string, marker: Pick<InFlightMarker, 'token'>): Promise<boolean>;
}

/** DEL KEYS[1] if its JSON value's token is ARGV[1] (markers without a token match ""). */
const CLEAR_IF_TOKEN = `
local value = redis.call('GET', KEYS[1])
if not value then return 0 end
local ok, marker = pcall(cjson.decode, value)
if not ok or type(marker) ~= 'table' then return 0 end
local token = marker.token
if type(token) ~= 'string' then token = '' end
if token == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** Outlives journal.raw.v2's retention (7 days); an older marker could not be settled anyway. */
const MARKER_TTL_SECONDS = 8 * 24 * 3600;

export class RedisInFlightStore implements InFlightPort {
  constructor(private readonly redis: Redis) {}

  async set(connectorId: string, marker: InFlightMarker): Promise<void> {
    await this.redis.set(pollerInFlightKey(connectorId), JSON.stringify(marker), 'EX', MARKER_TTL_SECONDS);
  }

  async get(connectorId: string): Promise<InFlightMarker | null> {
    const raw = await this.redis.get(pollerInFlightKey(connectorId));
    if (!raw) return null;
    const marker = JSON.parse(raw) as Partial<InFlightMarker> & Omit<InFlightMarker, 'token'>;
    return { ...marker, token: marker.token ?? '' };
  }

  async clear(connectorId: string, marker: Pick<InFlightMarker, 'token'>): Promise<boolean> {
    const deleted = await this.redis.eval(CLEAR_IF_TOKEN, 1, pollerInFlightKey(connectorId), marker.token);
    return deleted === 1;
  }
}
