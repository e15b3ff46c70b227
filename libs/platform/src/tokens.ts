/** Injection tokens shared by every app. */
export const LOGGER = Symbol('journalwire.logger');
export const CONFIG = Symbol('journalwire.config');
export const READINESS_CHECKS = Symbol.for('journalwire.readiness-checks');
