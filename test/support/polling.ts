/** How `waitFor` polls. */
export interface PollOptions<T> {
  /** Whether the probe's value is the one awaited (default: it is truthy). */
  until?: (value: T) => boolean;
  /** Default 60 s. */
  timeoutMs?: number;
  /** Default 250 ms. */
  everyMs?: number;
  /** Names the last value seen when time runs out (default: its JSON, cut at 500 characters). */
  describe?: (value: T) => string;
}

type Truthy<T> = Exclude<T, undefined | null | false | '' | 0>;

/**
 * The tests' one way to wait for a state: polls `probe` until its value is the awaited one and
 * returns it. A probe that throws counts as not yet (a service or the broker may be restarting);
 * when time runs out, the error names `what` and the last value or error seen.
 */
export async function waitFor<T>(
  what: string,
  probe: () => T | Promise<T>,
  options?: PollOptions<T> & { until?: undefined },
): Promise<Truthy<T>>;
export async function waitFor<T>(
  what: string,
  probe: () => T | Promise<T>,
  options: PollOptions<T> & { until: (value: T) => boolean },
): Promise<T>;
export async function waitFor<T>(
  what: string,
  probe: () => T | Promise<T>,
  { until = Boolean, timeoutMs = 60_000, everyMs = 250, describe = defaultDescription }: PollOptions<T> = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: { value: T } | { error: unknown } | undefined;
  for (;;) {
    try {
      const value = await probe();
      if (until(value)) return value;
      last = { value };
    } catch (error) {
      last = { error };
    }
    if (Date.now() > deadline) {
      const seen = !last
        ? ''
        : 'error' in last
          ? `; last error: ${String(last.error)}`
          : `; last value: ${describe(last.value)}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${seen}`);
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

function defaultDescription(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}
