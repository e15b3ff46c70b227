/**
 * The project's one error vocabulary. Every failure an operator may see carries a stable
 * `code` (machine-readable, used in status records and metrics) and a message that says
 * what to do about it. Details must never contain credentials or message bodies.
 */
export const ERROR_CODES = [
  'config-invalid',
  'name-resolution',
  'connection-refused',
  'connection-closed',
  'timeout',
  'tls-untrusted',
  'tls-hostname',
  'tls-failed',
  'tls-required',
  'authentication',
  'mailbox-in-use',
  'server-temporary',
  'server-permanent',
  'protocol',
  'response-too-large',
  'deadline-exceeded',
  'kafka-unavailable',
  'blob-store',
  'message-unparseable',
  'not-found',
  'validation',
  'conflict',
  'unauthorized',
  'forbidden',
  'rate-limited',
  'directory-empty',
  'processing-crashed',
  'internal',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface JournalwireErrorOptions {
  cause?: unknown;
  /** Safe, structured context for logs and API responses. */
  details?: Record<string, unknown>;
  /** Whether retrying the same operation later may succeed. */
  retryable?: boolean;
}

export class JournalwireError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: JournalwireErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'JournalwireError';
    this.code = code;
    this.details = options.details ?? {};
    this.retryable = options.retryable ?? false;
  }

  toJSON(): { code: ErrorCode; message: string; details: Record<string, unknown> } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

export function isJournalwireError(error: unknown, code?: ErrorCode): error is JournalwireError {
  return error instanceof JournalwireError && (code === undefined || error.code === code);
}

/** Converts anything thrown into a JournalwireError, keeping the original as `cause`. */
export function toJournalwireError(error: unknown, fallback: ErrorCode = 'internal'): JournalwireError {
  if (error instanceof JournalwireError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new JournalwireError(fallback, message, { cause: error });
}
