import { fileURLToPath } from 'node:url';

/** Absolute path of the status service's proto file (the build copies it next to the output). */
export const STATUS_PROTO_PATH = fileURLToPath(new URL('./proto/status.proto', import.meta.url));
export const STATUS_PROTO_PACKAGE = 'journalwire.status.v1';
