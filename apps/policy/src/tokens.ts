export const BLOB_STORE = Symbol('policy.blob-store');
export const CONNECTOR_SETTINGS = Symbol('policy.connector-settings');
export const OUTCOME_STORE = Symbol('policy.outcome-store');
export const PROCESSOR_STATE = Symbol('policy.processor-state');
