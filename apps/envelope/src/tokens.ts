export const BLOB_STORE = Symbol('envelope.blob-store');
export const CONNECTOR_SETTINGS = Symbol('envelope.connector-settings');
export const PROCESSOR_STATE = Symbol('envelope.processor-state');
