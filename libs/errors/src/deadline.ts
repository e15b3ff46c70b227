/** What else may end a wait early: an abort signal, and the error to reject with when it fires. */
export interface DeadlineAbort {
  signal: AbortSignal;
  onAbort: (signal: AbortSignal) => Error;
}

/**
 * Waits for `promise` at most `timeoutMs`, rejecting with `onTimeout()` after that, and, with
 * `abort`, only while its signal has not fired. The operation itself may still complete later;
 * a late rejection of it is not left unhandled.
 */
export async function withDeadline<T>(
  promise: Promise<T>,
  timeoutMs: number,
  onTimeout: () => Error,
  abort?: DeadlineAbort,
): Promise<T> {
  promise.catch(() => undefined);
  if (abort?.signal.aborted) throw abort.onAbort(abort.signal);
  let timer: NodeJS.Timeout | undefined;
  let abortListener: (() => void) | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), timeoutMs);
    if (abort) {
      abortListener = () => reject(abort.onAbort(abort.signal));
      abort.signal.addEventListener('abort', abortListener, { once: true });
    }
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
    if (abort && abortListener) abort.signal.removeEventListener('abort', abortListener);
  }
}
