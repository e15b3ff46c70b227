import type { Redis } from 'ioredis';
import type { ConnectorEntity } from '#persistence';

/** When a connector is next due, shared by every poller instance (Redis). */
export interface ScheduleState {
  /** Epoch ms; a missing state means "due now". */
  nextDueAt: number;
  /** Consecutive failed sessions (for the back-off). */
  failures: number;
  /** The connector's version when a refused login backed it off: an edit ends the back-off. */
  backedOffAtVersion?: number;
}

/**
 * Whether a connector is due: no state, its time has come, or it was edited since a refused login
 * backed it off (a corrected password is tried at once, not after the back-off).
 */
export function isDue(state: ScheduleState | null, connector: Pick<ConnectorEntity, 'version'>, now: number): boolean {
  if (!state || state.nextDueAt <= now) return true;
  return state.backedOffAtVersion !== undefined && state.backedOffAtVersion !== connector.version;
}

export function scheduleKey(connectorId: string): string {
  return `jw:poller:schedule:${connectorId}`;
}

/** Set while a connector is suspended and its 'suspended' status was published. */
export function suspendedKey(connectorId: string): string {
  return `jw:poller:suspended:${connectorId}`;
}

export class ScheduleStore {
  constructor(private readonly redis: Redis) {}

  async get(connectorId: string): Promise<ScheduleState | null> {
    return parse(await this.redis.get(scheduleKey(connectorId)));
  }

  async getMany(connectorIds: string[]): Promise<Map<string, ScheduleState | null>> {
    const out = new Map<string, ScheduleState | null>();
    if (connectorIds.length === 0) return out;
    const values = await this.redis.mget(connectorIds.map(scheduleKey));
    connectorIds.forEach((id, i) => out.set(id, parse(values[i] ?? null)));
    return out;
  }

  async set(connectorId: string, state: ScheduleState): Promise<void> {
    // Expires on its own long after any sensible poll interval, so removed connectors leave nothing.
    await this.redis.set(scheduleKey(connectorId), JSON.stringify(state), 'EX', 7 * 24 * 3600);
  }

  async reset(connectorId: string): Promise<void> {
    await this.redis.del(scheduleKey(connectorId));
  }

  async suspendedMarkers(connectorIds: string[]): Promise<Set<string>> {
    const marked = new Set<string>();
    if (connectorIds.length === 0) return marked;
    const values = await this.redis.mget(connectorIds.map(suspendedKey));
    connectorIds.forEach((id, i) => {
      if (values[i]) marked.add(id);
    });
    return marked;
  }

  /** True when this call set the marker (the caller reports the suspension). */
  async markSuspended(connectorId: string): Promise<boolean> {
    return (await this.redis.set(suspendedKey(connectorId), new Date().toISOString(), 'NX')) === 'OK';
  }

  /** True when this call removed the marker (the caller handles the resumption). */
  async clearSuspended(connectorId: string): Promise<boolean> {
    return (await this.redis.del(suspendedKey(connectorId))) === 1;
  }
}

function parse(raw: string | null): ScheduleState | null {
  if (!raw) return null;
  try {
    const value = JSON.parse(raw) as Partial<ScheduleState>;
    const state: ScheduleState = { nextDueAt: Number(value.nextDueAt ?? 0), failures: Number(value.failures ?? 0) };
    if (typeof value.backedOffAtVersion === 'number') state.backedOffAtVersion = value.backedOffAtVersion;
    return state;
  } catch {
    return null;
  }
}
