/** Injection tokens of the poller app (the connections, LOGGER, CONFIG and METRICS come from #platform). */
export const POLLER_RUNTIME = Symbol('poller.runtime');
export const CONNECTORS = Symbol('poller.connector-repository');
export const CIPHER = Symbol('poller.credential-cipher');
export const SESSION_DEPS = Symbol('poller.session-deps');
