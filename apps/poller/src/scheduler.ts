import type { Logger } from '#logger';
import type { ConnectorEntity } from '#persistence';
import type { SessionControl } from './extraction-session.js';
import { isDue, type ScheduleStore } from './schedule-store.js';
import type { SessionRunner } from './session-runner.js';

export interface SchedulerSettings {
  tickMs: number;
  maxConcurrentSessions: number;
  shutdownGraceMs: number;
}

export interface ConnectorSource {
  /** Every connector, suspended ones included (their suspension is reported once). */
  list(): Promise<ConnectorEntity[]>;
}

/**
 * Every tick: reads the connectors, reports newly suspended ones, clears the state of resumed
 * ones and starts a session for each due connector, longest due first, up to the concurrency
 * limit. Sessions of one mailbox never overlap: the runner takes the mailbox lease first. The next
 * tick comes after `tickMs`, or sooner when a connector falls due before then. (Not at once when a
 * session ends: this instance would then take the lease again before any other instance had a
 * turn.)
 */
export class Scheduler {
  private timer: NodeJS.Timeout | null = null;
  private stopping = false;
  private ticking: Promise<void> | null = null;
  private failedTicks = 0;
  /** Ms from the end of the last tick until the next one. */
  private nextTickMs = 0;
  private readonly running = new Map<string, Promise<void>>();
  private readonly abort = new AbortController();
  private readonly control: SessionControl = {
    stopRequested: () => this.stopping,
    signal: this.abort.signal,
  };

  constructor(
    private readonly connectors: ConnectorSource,
    private readonly schedule: ScheduleStore,
    private readonly runner: SessionRunner,
    private readonly settings: SchedulerSettings,
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (this.timer || this.stopping) return;
    this.timer = setTimeout(() => this.loop(), 0);
  }

  private loop(): void {
    this.ticking = this.tick()
      .then(() => {
        if (this.failedTicks > 0) this.logger.info({ failedTicks: this.failedTicks }, 'poller tick recovered');
        this.failedTicks = 0;
      })
      .catch((error: unknown) => {
        // PostgreSQL or Redis down: say so at once, then about once a minute, not every tick.
        if (this.failedTicks++ % Math.max(1, Math.round(60_000 / this.settings.tickMs)) === 0) {
          this.logger.error({ err: error, failedTicks: this.failedTicks }, 'poller tick failed; retrying every tick');
        }
      })
      .finally(() => {
        this.ticking = null;
        if (!this.stopping) this.timer = setTimeout(() => this.loop(), this.nextTickMs);
      });
  }

  /** One pass over the connectors (public for tests). */
  async tick(): Promise<void> {
    this.nextTickMs = this.settings.tickMs;
    const connectors = await this.connectors.list();
    const ids = connectors.map((c) => c.id);
    const [states, suspended] = await Promise.all([this.schedule.getMany(ids), this.schedule.suspendedMarkers(ids)]);
    const now = Date.now();
    const due: Array<{ connector: ConnectorEntity; since: number }> = [];
    for (const connector of connectors) {
      if (this.stopping) return;
      if (this.running.has(connector.id)) continue;
      if (connector.suspended) {
        if (!suspended.has(connector.id))
          this.launch(connector.id, () => this.runner.reportSuspended(connector, this.control.signal));
        continue;
      }
      if (suspended.has(connector.id)) {
        await this.runner.resumed(connector);
        states.set(connector.id, null);
      }
      const state = states.get(connector.id) ?? null;
      if (state && !isDue(state, connector, now)) {
        this.nextTickMs = Math.min(this.nextTickMs, state.nextDueAt - now);
        continue;
      }
      due.push({ connector, since: Math.min(state?.nextDueAt ?? -Infinity, now) });
    }
    // Longest due first. In list order, with more connectors due than free slots, a mailbox with a
    // backlog (due again as soon as each session ends) kept its place ahead of those listed after it.
    due.sort((a, b) => a.since - b.since);
    for (const { connector } of due) {
      if (this.stopping || this.running.size >= this.settings.maxConcurrentSessions) return;
      this.launch(connector.id, async () => void (await this.runner.run(connector, this.control)));
    }
  }

  private launch(connectorId: string, work: () => Promise<void>): void {
    const task = work()
      .catch((error: unknown) =>
        this.logger.error({ connectorId, err: error }, 'connector session failed unexpectedly'),
      )
      .finally(() => this.running.delete(connectorId));
    this.running.set(connectorId, task);
  }

  /**
   * Graceful stop: sessions stop at their next safe point (after the current batch is
   * acknowledged and DELEted), QUIT and release their leases. Anything still in flight after the
   * grace period is abandoned: never DELEted, so the next session takes it up again.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.ticking;
    const all = () => Promise.all([...this.running.values()]).then(() => undefined);
    const grace = new Promise<'timeout'>((resolve) =>
      setTimeout(() => resolve('timeout'), this.settings.shutdownGraceMs).unref(),
    );
    if ((await Promise.race([all(), grace])) === 'timeout') {
      this.logger.warn(
        { sessions: [...this.running.keys()] },
        'sessions did not reach a safe point in time; abandoning their in-flight work',
      );
      this.abort.abort(new Error('the poller is shutting down'));
      await all();
    }
  }
}
