/** Something a processor needs besides Kafka: PostgreSQL, the blob store. */
export interface Dependency {
  name: string;
  /** Resolves when the dependency answers; rejects with the reason otherwise. */
  check(): Promise<void>;
}

/** An unreachable dependency a processor waits for. */
export interface Outage {
  dependency: string;
  message: string;
}

/**
 * What a processor is waiting for, if anything: read by the service's readiness probe
 * (`/health/ready` answers 503 naming the dependency and since when).
 */
export class ProcessorState {
  private current: (Outage & { since: string }) | null = null;
  /** Times the consumer joined its group: one per rebalance it took part in. */
  groupJoins = 0;

  get waitingFor(): (Outage & { since: string }) | null {
    return this.current;
  }

  /** Records a wait; true when it is news (a different dependency than before, or none before). */
  waiting(outage: Outage): boolean {
    const news = this.current?.dependency !== outage.dependency;
    this.current = { ...outage, since: news ? new Date().toISOString() : this.current!.since };
    return news;
  }

  /** Clears the wait; returns what was waited for, if anything. */
  resumed(): (Outage & { since: string }) | null {
    const previous = this.current;
    this.current = null;
    return previous;
  }

  /** A readiness check that fails while the processor waits. */
  readinessCheck(name = 'processing'): Dependency {
    return {
      name,
      check: async () => {
        const waiting = this.current;
        if (waiting) throw new Error(`waiting for ${waiting.dependency} since ${waiting.since}: ${waiting.message}`);
      },
    };
  }
}
