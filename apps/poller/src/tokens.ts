/** Injection tokens of the poller app. */
export const POLLER_RUNTIME = Symbol('poller.runtime');
