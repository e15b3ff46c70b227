/** Injection tokens of the status app (the shared ones, LOGGER and CONFIG, come from #platform). */
export const DATA_SOURCE = Symbol('status.data-source');
export const REDIS = Symbol('status.redis');
export const KAFKA = Symbol('status.kafka');
export const CIPHER = Symbol('status.credential-cipher');
export const PROBE_MAILBOX = Symbol('status.probe-mailbox');
