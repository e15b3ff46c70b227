/**
 * Injection tokens of the status app. The connections (DATA_SOURCE, KAFKA, REDIS) and the shared
 * ones (LOGGER, CONFIG) come from #platform.
 */
export const CIPHER = Symbol('status.credential-cipher');
export const PROBE_MAILBOX = Symbol('status.probe-mailbox');
