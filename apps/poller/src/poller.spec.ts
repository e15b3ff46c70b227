import { describe, expect, it } from 'vitest';
import { isJournalwireError, JournalwireError } from '#errors';
import type { ConnectorEntity } from '#persistence';
import { loadPollerConfig } from './config.js';
import { withDeadline } from './deadline.js';
import type { SessionResult } from './extraction-session.js';
import { isDue } from './schedule-store.js';
import { nextSchedule } from './session-runner.js';

const KEY = Buffer.alloc(32, 1).toString('base64');

describe('poller config', () => {
  it('has the documented defaults', () => {
    const config = loadPollerConfig({ CREDENTIAL_KEY: KEY });
    expect(config).toMatchObject({
      HTTP_PORT: 3001,
      LEASE_TTL_MS: 30_000,
      POLL_TICK_MS: 1000,
      MAX_RETRIEVAL_ATTEMPTS: 3,
      BATCH_MAX_MESSAGES: 250,
      BATCH_MAX_BYTES: 8 * 1024 * 1024,
      RETRIEVE_WINDOW: 128,
      RETRIEVE_WINDOW_BYTES: 4 * 1024 * 1024,
      INLINE_LIMIT_BYTES: 512 * 1024,
      POLLER_CONNECTOR_IDS: [],
    });
    expect(config.POLLER_INSTANCE_ID).toMatch(/-\d+$/);
    expect(config.POP3_CA_FILE).toBeUndefined();
  });

  it('requires CREDENTIAL_KEY and refuses an inline limit a produce request cannot carry', () => {
    expect(() => loadPollerConfig({})).toThrow(/CREDENTIAL_KEY/);
    expect(() => loadPollerConfig({ CREDENTIAL_KEY: KEY, INLINE_LIMIT_BYTES: String(4 * 1024 * 1024) })).toThrow(
      /INLINE_LIMIT_BYTES: expected at most PRODUCE_MAX_BYTES/,
    );
  });
});

describe('nextSchedule', () => {
  const connector = { pollIntervalSeconds: 60 } as ConnectorEntity;
  const settings = { instanceId: 'i', maxRetrievalAttempts: 3, kafkaBackoffMaxMs: 30_000 };
  const result = (
    outcome: SessionResult['outcome'],
    error: JournalwireError | null = null,
    moreRemaining = false,
    startedAt = new Date(1000),
  ) => ({ outcome, error, moreRemaining, startedAt }) as SessionResult;

  it('polls again at once when messages remain, else after the interval', () => {
    expect(nextSchedule(connector, result('completed', null, true), null, settings, 1000)).toEqual({
      nextDueAt: 1000,
      failures: 0,
    });
    expect(nextSchedule(connector, result('completed'), { nextDueAt: 0, failures: 4 }, settings, 1000)).toEqual({
      nextDueAt: 61_000,
      failures: 0,
    });
  });

  it('counts the interval from the start of the session, never due in the past', () => {
    // A session of 4 s: the next one starts 60 s after this one began, not 64 s.
    expect(nextSchedule(connector, result('completed'), null, settings, 5000).nextDueAt).toBe(61_000);
    // A session longer than the interval: due at once.
    expect(nextSchedule(connector, result('completed'), null, settings, 90_000).nextDueAt).toBe(90_000);
  });

  it('backs off exponentially while Kafka is unavailable, up to the cap', () => {
    const kafka = result('failed', new JournalwireError('kafka-unavailable', 'down', { retryable: true }));
    const delays = [0, 1, 2, 3, 4, 5, 6, 10].map(
      (failures) => nextSchedule(connector, kafka, { nextDueAt: 0, failures }, settings, 0).nextDueAt,
    );
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
  });

  it('retries a permanent failure (e.g. an untrusted certificate) at the poll interval', () => {
    const tls = result('failed', new JournalwireError('tls-untrusted', 'unknown CA'));
    expect(nextSchedule(connector, tls, null, settings, 0)).toEqual({ nextDueAt: 60_000, failures: 1 });
    expect(nextSchedule(connector, tls, { nextDueAt: 0, failures: 5 }, settings, 0).nextDueAt).toBe(60_000);
  });

  it('waits twice as long after each further refused login, up to 15 minutes, remembering the version', () => {
    const refused = result('failed', new JournalwireError('authentication', 'wrong password'));
    const versioned = { pollIntervalSeconds: 60, version: 7 } as ConnectorEntity;
    const delays = [0, 1, 2, 3, 4, 5, 10, 40].map(
      (failures) => nextSchedule(versioned, refused, { nextDueAt: 0, failures }, settings, 0).nextDueAt,
    );
    expect(delays).toEqual([60_000, 120_000, 240_000, 480_000, 900_000, 900_000, 900_000, 900_000]);
    expect(nextSchedule(versioned, refused, null, settings, 0)).toEqual({
      nextDueAt: 60_000,
      failures: 1,
      backedOffAtVersion: 7,
    });
    // A poll interval longer than the cap is never shortened.
    const hourly = { pollIntervalSeconds: 3600, version: 1 } as ConnectorEntity;
    expect(nextSchedule(hourly, refused, { nextDueAt: 0, failures: 3 }, settings, 0).nextDueAt).toBe(3_600_000);
    // The next success ends the back-off.
    expect(nextSchedule(versioned, result('completed'), { nextDueAt: 0, failures: 4 }, settings, 1000)).toEqual({
      nextDueAt: 61_000,
      failures: 0,
    });
  });
});

describe('isDue', () => {
  const connector = { version: 3 } as ConnectorEntity;

  it('is due without a state or once the time has come', () => {
    expect(isDue(null, connector, 0)).toBe(true);
    expect(isDue({ nextDueAt: 1000, failures: 1 }, connector, 1000)).toBe(true);
    expect(isDue({ nextDueAt: 1000, failures: 1 }, connector, 999)).toBe(false);
  });

  it('ends a refused-login back-off once the connector is edited, and only then', () => {
    const backedOff = { nextDueAt: 900_000, failures: 4, backedOffAtVersion: 3 };
    expect(isDue(backedOff, connector, 0)).toBe(false);
    expect(isDue(backedOff, { version: 4 } as ConnectorEntity, 0)).toBe(true);
    // Other back-offs (Kafka unavailable) are not ended by an edit.
    expect(isDue({ nextDueAt: 30_000, failures: 5 }, { version: 4 } as ConnectorEntity, 0)).toBe(false);
  });
});

describe('withDeadline', () => {
  it('rejects with the timeout error, or as abandoned when the signal fires', async () => {
    const never = new Promise<never>(() => undefined);
    await expect(withDeadline(never, 10, () => new JournalwireError('kafka-unavailable', 'slow'))).rejects.toThrow(
      'slow',
    );
    const controller = new AbortController();
    const pending = withDeadline(never, 10_000, () => new Error('timeout'), controller.signal);
    controller.abort(new Error('shutting down'));
    await pending.catch((error: unknown) => {
      expect(isJournalwireError(error)).toBe(true);
      expect((error as JournalwireError).details).toEqual({ abandoned: true });
    });
    await expect(withDeadline(Promise.resolve(7), 10, () => new Error('x'))).resolves.toBe(7);
  });
});
