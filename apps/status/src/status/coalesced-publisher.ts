/**
 * Connectors whose status changed, published together at most every `intervalMs`. Under load the
 * aggregator applies many chunks a second and each publication reads the definitions from
 * PostgreSQL; a watcher needs the latest status, not every step on the way to it.
 */
export class CoalescedPublisher {
  private readonly pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private publishing: Promise<void> = Promise.resolve();

  constructor(
    /** Must not reject (failures are the caller's to log). */
    private readonly publish: (connectorIds: string[]) => Promise<void>,
    private readonly intervalMs: number,
  ) {}

  add(connectorIds: Iterable<string>): void {
    for (const id of connectorIds) this.pending.add(id);
    if (this.pending.size === 0 || this.timer) return;
    this.timer = setTimeout(() => void this.flush(), this.intervalMs);
    this.timer.unref();
  }

  /** Publishes what is pending now, after any publication under way. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const ids = [...this.pending];
    this.pending.clear();
    if (ids.length > 0) this.publishing = this.publishing.then(() => this.publish(ids));
    return this.publishing;
  }
}
