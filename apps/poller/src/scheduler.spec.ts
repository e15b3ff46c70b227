import { describe, expect, it } from 'vitest';
import { createLogger } from '#logger';
import type { ConnectorEntity } from '#persistence';
import type { ScheduleState, ScheduleStore } from './schedule-store.js';
import { Scheduler } from './scheduler.js';
import type { SessionRunner } from './session-runner.js';

const logger = createLogger({ service: 'scheduler-spec', level: 'fatal' });

/** A scheduler over fakes: sessions run until `finish(id)`, which also records when it is due again. */
function schedulerOf(ids: string[], states: Map<string, ScheduleState | null>, maxConcurrentSessions: number) {
  const connectors = ids.map((id) => ({ id, suspended: false, version: 1 }) as ConnectorEntity);
  const started: string[] = [];
  const sessions = new Map<string, () => void>();
  const runner = {
    run: (connector: ConnectorEntity) =>
      new Promise((resolve) => {
        started.push(connector.id);
        sessions.set(connector.id, () => resolve('ran'));
      }),
  } as unknown as SessionRunner;
  const schedule = {
    getMany: async (wanted: string[]) => new Map(wanted.map((id) => [id, states.get(id) ?? null])),
    suspendedMarkers: async () => new Set<string>(),
  } as unknown as ScheduleStore;
  const scheduler = new Scheduler(
    { list: async () => connectors },
    schedule,
    runner,
    { tickMs: 1000, maxConcurrentSessions, shutdownGraceMs: 1000 },
    logger,
  );
  const finish = async (id: string, nextDueAt: number) => {
    states.set(id, { nextDueAt, failures: 0 });
    sessions.get(id)!();
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { scheduler, started, finish };
}

describe('Scheduler', () => {
  it('starts the connectors that have been due longest first, whatever their order in the list', async () => {
    const now = Date.now();
    const states = new Map<string, ScheduleState | null>([
      ['a', { nextDueAt: now - 1000, failures: 0 }],
      ['b', { nextDueAt: now - 5000, failures: 0 }],
      ['c', null], // never ran
      ['d', { nextDueAt: now + 60_000, failures: 0 }], // not due
    ]);
    const { scheduler, started } = schedulerOf(['a', 'b', 'c', 'd'], states, 2);
    await scheduler.tick();
    expect(started).toEqual(['c', 'b']);
  });

  it('gives every due connector a turn when a backlog makes the first ones due again at once', async () => {
    const { scheduler, started, finish } = schedulerOf(['a', 'b', 'c'], new Map(), 1);
    await scheduler.tick();
    // Each session ends with messages left: due again at once, yet after those already waiting.
    const endedAt = Date.now() - 1000;
    for (const turn of [1, 2, 3, 4, 5]) {
      await finish(started[started.length - 1]!, endedAt + turn);
      await scheduler.tick();
    }
    expect(started).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
  });
});
