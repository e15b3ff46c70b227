import { JournalwireError } from '#errors';

/**
 * Waits for `promise` at most `timeoutMs` (rejecting with `onTimeout()`) and only while `signal`
 * has not fired (rejecting as abandoned). The operation itself may still complete later.
 */
export async function withDeadline<T>(
  promise: Promise<T>,
  timeoutMs: number,
  onTimeout: () => Error,
  signal?: AbortSignal,
): Promise<T> {
  promise.catch(() => undefined);
  if (signal?.aborted) throw abandoned(signal);
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), timeoutMs);
    if (signal) {
      onAbort = () => reject(abandoned(signal));
      signal.addEventListener('abort', onAbort, { once: true });
    }
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
    if (signal && onAbort) signal.removeEventListener('abort', onAbort);
  }
}

function abandoned(signal: AbortSignal): JournalwireError {
  const reason = signal.reason instanceof Error ? signal.reason.message : 'the poller is shutting down';
  return new JournalwireError('internal', `Abandoned: ${reason}`, { retryable: true, details: { abandoned: true } });
}
