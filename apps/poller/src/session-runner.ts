import { JournalwireError, toJournalwireError } from '#errors';
import type { Logger } from '#logger';
import { ledgerScopeOf, type ConnectorEntity } from '#persistence';
import { ExtractionSession, type SessionControl, type SessionDeps, type SessionResult } from './extraction-session.js';
import type { LeaseManager } from './lease.js';
import type { RetrievalFailuresPort } from './ledger.js';
import { isDue, type ScheduleState, type ScheduleStore } from './schedule-store.js';
import type { StatusReporter } from './status-reporter.js';

export interface RunnerSettings {
  instanceId: string;
  maxRetrievalAttempts: number;
  kafkaBackoffMaxMs: number;
  /** Base of the exponential back-off after failed sessions. */
  backoffBaseMs?: number;
  /**
   * Whether the directory has an internal domain. Without one every participant is external and,
   * with the default filters, every message would be rejected after Exchange deleted it: a
   * connector then extracts nothing unless it sets `allowEmptyDirectory`.
   */
  directoryHasInternalDomain?: () => Promise<boolean>;
  /** Told of every finished session (metrics). */
  onSessionEnd?: (connector: ConnectorEntity, result: SessionResult) => void;
}

export type RunOutcome = 'ran' | 'busy' | 'not-due';

/**
 * Runs one connector's session under its lease and records the aftermath while still holding
 * it (status record, next due time), so status records of one mailbox never arrive out of order.
 */
export class SessionRunner {
  constructor(
    private readonly leases: LeaseManager,
    private readonly schedule: ScheduleStore,
    private readonly status: StatusReporter,
    private readonly failures: RetrievalFailuresPort,
    private readonly sessionDeps: SessionDeps,
    private readonly settings: RunnerSettings,
    private readonly logger: Logger,
  ) {}

  async run(connector: ConnectorEntity, control: SessionControl): Promise<RunOutcome> {
    const lease = await this.leases.acquire(connector.id);
    if (!lease) return 'busy';
    const log = this.logger.child({ connectorId: connector.id, instanceId: this.settings.instanceId });
    try {
      // Another instance may have finished a session between our look at the schedule and the lease.
      const state = await this.schedule.get(connector.id);
      if (!isDue(state, connector, Date.now())) return 'not-due';
      const refusal = await this.directoryRefusal(connector);
      log.info({ event: 'session-start', leaseToken: lease.token }, 'session start');
      const result = refusal ?? (await new ExtractionSession(this.sessionDeps, connector, lease, control).run());
      log.info(
        {
          event: 'session-end',
          leaseToken: lease.token,
          outcome: result.outcome,
          code: result.error?.code,
          mailboxQueue: result.mailboxQueue,
          extracted: result.extracted,
          deleted: result.deleted,
          skipped: result.skipped?.length,
          ms: result.endedAt.getTime() - result.startedAt.getTime(),
          stages: result.stages,
        },
        result.error ? `session end: ${result.error.message}` : 'session end',
      );
      this.settings.onSessionEnd?.(connector, result);
      // Lease lost: the new holder reports and schedules. Removed: there is nothing to report on.
      if (result.outcome === 'lease-lost' || result.outcome === 'removed') return 'ran';
      await this.report(connector, result, control.stopRequested());
      await this.schedule.set(connector.id, nextSchedule(connector, result, state, this.settings));
      if (result.outcome === 'suspended') await this.schedule.markSuspended(connector.id);
      return 'ran';
    } finally {
      await lease.release();
    }
  }

  /** A failed session that never connected, when the directory has no internal domain to classify by. */
  private async directoryRefusal(connector: ConnectorEntity): Promise<SessionResult | null> {
    const check = this.settings.directoryHasInternalDomain;
    if (connector.allowEmptyDirectory || !check || (await check())) return null;
    const now = new Date();
    return {
      connectorId: connector.id,
      outcome: 'failed',
      error: new JournalwireError(
        'directory-empty',
        'Not extracting: the directory has no internal domain, so every message would be classified external. ' +
          "Add the organisation's domains (POST /v1/directory/domains), or set allowEmptyDirectory on the connector.",
        { retryable: true },
      ),
      startedAt: now,
      endedAt: now,
      mailboxQueue: null,
      extracted: 0,
      deleted: 0,
      skipped: null,
      moreRemaining: false,
    };
  }

  /**
   * Publishes 'suspended' once per suspension (under the lease, after any running session), once
   * a publish that a dead session left in flight is settled: a suspended connector has no next
   * session to settle it, and its deletion waits for it. Until Kafka answers, the next tick retries.
   */
  async reportSuspended(connector: ConnectorEntity, signal?: AbortSignal): Promise<void> {
    const lease = await this.leases.acquire(connector.id);
    if (!lease) return;
    const log = this.logger.child({ connectorId: connector.id, instanceId: this.settings.instanceId });
    try {
      try {
        await this.sessionDeps.publisher.settleLeftover(connector.id, ledgerScopeOf(connector), signal);
      } catch (error) {
        if (signal?.aborted) return; // shutting down: the next poller takes it up
        log.warn(
          { err: error, code: toJournalwireError(error).code },
          'suspended connector: a publish left in flight could not be settled yet; retrying',
        );
        return;
      }
      if (!(await this.schedule.markSuspended(connector.id))) return;
      log.info('connector suspended');
      await this.status.report({
        connectorId: connector.id,
        state: 'suspended',
        sessionStartedAt: null,
        sessionEndedAt: null,
        mailboxQueue: null,
        sessionExtracted: 0,
        skipped: [],
        lastError: null,
        success: false,
      });
    } finally {
      await lease.release();
    }
  }

  /** Resumption clears the error state: failures forgotten, due at once, fresh status next session. */
  async resumed(connector: ConnectorEntity): Promise<void> {
    if (!(await this.schedule.clearSuspended(connector.id))) return;
    this.logger.info(
      { connectorId: connector.id, instanceId: this.settings.instanceId },
      'connector resumed; error state cleared',
    );
    await this.failures.clearAll(connector.id);
    await this.schedule.reset(connector.id);
  }

  private async report(connector: ConnectorEntity, result: SessionResult, shuttingDown: boolean): Promise<void> {
    const skipped =
      result.skipped ??
      (await this.failures.listSkipped(connector.id, ledgerScopeOf(connector), this.settings.maxRetrievalAttempts)).map(
        (f) => ({
          uidl: f.uidl,
          attempts: f.attempts,
          error: f.lastError,
        }),
      );
    const failed = result.outcome === 'failed' && result.error !== null;
    await this.status.report(
      {
        connectorId: connector.id,
        state: result.outcome === 'suspended' ? 'suspended' : failed ? 'error' : 'ok',
        sessionStartedAt: result.startedAt,
        sessionEndedAt: result.endedAt,
        mailboxQueue: result.mailboxQueue,
        sessionExtracted: result.extracted,
        skipped,
        lastError:
          failed && result.error
            ? { code: result.error.code, message: result.error.message, at: result.endedAt }
            : null,
        success: result.outcome === 'completed' || result.outcome === 'stopped',
      },
      shuttingDown ? 2000 : undefined,
    );
  }
}

/** The longest wait between logins the server refused, unless the poll interval is longer. */
export const REFUSED_LOGIN_BACKOFF_MAX_MS = 15 * 60_000;

/**
 * After a session: more work → due now; success → pollIntervalSeconds after the session began
 * (polls at a steady rate, not the interval plus the session's length); Kafka unavailable →
 * exponential back-off up to the cap; a refused login → the poll interval, doubled after each
 * further refusal up to REFUSED_LOGIN_BACKOFF_MAX_MS, until the connector is edited (a wrong
 * password retried at every interval can lock the account or make the server delay every login
 * from this host); other failures → back-off up to the poll interval.
 */
export function nextSchedule(
  connector: ConnectorEntity,
  result: SessionResult,
  previous: ScheduleState | null,
  settings: RunnerSettings,
  now = Date.now(),
): ScheduleState {
  const intervalMs = connector.pollIntervalSeconds * 1000;
  if (result.outcome !== 'failed') {
    if (result.moreRemaining && result.outcome !== 'suspended') return { nextDueAt: now, failures: 0 };
    return { nextDueAt: Math.max(now, result.startedAt.getTime() + intervalMs), failures: 0 };
  }
  const failures = (previous?.failures ?? 0) + 1;
  /** `first` after the first failure, doubled after each further one, at most `cap`. */
  const backoff = (first: number, cap: number) => Math.min(cap, first * 2 ** Math.min(failures - 1, 20));
  if (result.error?.code === 'authentication') {
    const delay = backoff(intervalMs, Math.max(intervalMs, REFUSED_LOGIN_BACKOFF_MAX_MS));
    return { nextDueAt: now + delay, failures, backedOffAtVersion: connector.version };
  }
  const kafka = result.error?.code === 'kafka-unavailable';
  const cap = kafka ? settings.kafkaBackoffMaxMs : intervalMs;
  const retryable = kafka || result.error?.retryable === true;
  const delay = retryable ? backoff(settings.backoffBaseMs ?? 1000, cap) : intervalMs;
  return { nextDueAt: now + delay, failures };
}
