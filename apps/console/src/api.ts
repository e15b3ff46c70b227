/** The status API, same origin, with the operator's bearer token (kept in sessionStorage). */
const TOKEN_KEY = 'journalwire.token';

export const tokenStore = {
  get: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (token: string): void => sessionStorage.setItem(TOKEN_KEY, token),
  clear: (): void => sessionStorage.removeItem(TOKEN_KEY),
};

export interface FieldProblem {
  field: string;
  message: string;
}

/** An API error: its code, message and, for a 400, one problem per bad field. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: FieldProblem[] = [],
  ) {
    super(message);
  }
}

export async function request<T>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const token = tokenStore.get();
  if (token) headers['Authorization'] = `Bearer ${token}`;
  let payload: string | undefined;
  if (body !== undefined) {
    headers['Content-Type'] = contentType ?? 'application/json';
    payload = typeof body === 'string' ? body : JSON.stringify(body);
  }
  const response = await fetch(path, { method, headers, body: payload ?? null });
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!response.ok) {
    const error = (parsed ?? {}) as { error?: string; message?: string; fields?: FieldProblem[] };
    throw new ApiError(
      response.status,
      error.error ?? 'http',
      error.message ?? `${response.status} ${response.statusText}`,
      error.fields ?? [],
    );
  }
  return parsed as T;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export type ServiceState = 'awaiting-initial-run' | 'ok' | 'error' | 'suspended';

export interface ConnectorStatus {
  connectorId: string;
  serviceStatus: ServiceState;
  lastSuccessfulExtract: string | null;
  processingQueue: number;
  pop3MailboxQueue: number | null;
  lastError: { code: string; message: string; at: string } | null;
  counters: { extracted: number; archived: number; rejected: number; deadLettered: number; merged: number };
  display: { serviceStatus: string; lastSuccessfulExtract: string };
}

export interface Connector {
  id: string;
  description: string;
  transportType: 'pop3';
  serviceEmailAddress: string;
  mailboxName: string;
  password: string;
  host: string;
  port: number;
  encrypted: boolean;
  tlsTransport: 'implicit' | 'starttls';
  encryptionMode: 'strict' | 'relaxed';
  caCertificate: string | null;
  journalType: 'envelope' | 'eml';
  removeJournalHeaders: boolean;
  detailedLogging: boolean;
  journalNonInternalAddresses: boolean;
  journalUnknownInternalAddresses: boolean;
  suspended: boolean;
  pollIntervalSeconds: number;
  maxMessagesPerSession: number;
  createdAt: string;
  updatedAt: string;
}

export type ConnectorListItem = Connector & { status: ConnectorStatus };

export interface ProbeStep {
  step: string;
  ok: boolean;
  ms: number;
  detail?: string;
}

export interface TestReport {
  ok: boolean;
  testedAt: string;
  steps: ProbeStep[];
  error?: { code: string; message: string };
}

export interface EventEntry {
  id: string;
  at: string;
  actor: string;
  action: string;
  details: Record<string, unknown>;
}

export type OutcomeType = 'rejected' | 'dead-lettered' | 'skipped';

export interface RecordPosition {
  partition: number;
  offset: string;
}

export interface Outcome {
  id: string;
  type: OutcomeType;
  at: string;
  reason: string;
  error: string | null;
  stage: string | null;
  messageId: string | null;
  sender: string | null;
  subject: string | null;
  uidl: string | null;
  attempts: number | null;
  rawRecord: RecordPosition | null;
  source: { topic: string; partition: number; offset: string } | null;
  message: { inline: { size: number } } | { claimCheck: { key: string; sha256: string; size: number } } | null;
  replayable: boolean;
  replay: { at: string; by: string; rawRecord: RecordPosition } | null;
}

export interface ReplayResult {
  outcome: Outcome;
  replay: { at: string; by: string; rawRecord: RecordPosition };
}

export const formatTime = (iso: string | null): string => (iso ? new Date(iso).toLocaleString() : '—');
