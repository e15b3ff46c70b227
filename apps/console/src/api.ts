import type { ApiErrorBody } from '../../../libs/contracts/src/api-error.js';

/** The status API, same origin, with the operator's bearer token (kept in sessionStorage). */
const TOKEN_KEY = 'journalwire.token';

export const tokenStore = {
  get: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (token: string): void => sessionStorage.setItem(TOKEN_KEY, token),
  clear: (): void => sessionStorage.removeItem(TOKEN_KEY),
};

export type FieldProblem = NonNullable<ApiErrorBody['fields']>[number];

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
    const error = (parsed ?? {}) as Partial<ApiErrorBody>;
    throw new ApiError(
      response.status,
      error.error ?? 'http',
      error.message ?? `${response.status} ${response.statusText}`,
      error.fields ?? [],
    );
  }
  return parsed as T;
}

/**
 * The response bodies, typed from the schemas the status service documents and is tested
 * against (libs/contracts/src/api-views.ts: zod and plain constants only, so type-only imports
 * add nothing to the bundle).
 */
export type {
  AddressView as Address,
  ApiTokenView as Token,
  ConnectorEventView as EventEntry,
  ConnectorListItem,
  ConnectorStatusView as ConnectorStatus,
  ConnectorView as Connector,
  DirectoryImportResult as ImportResult,
  DomainView as Domain,
  ListedOutcomeType as OutcomeType,
  ListPage as Page,
  OutcomeReplay as ReplayResult,
  OutcomeView as Outcome,
  ProtocolLogEntry,
  ProtocolLogView as ProtocolLog,
  TestExtractionReport as TestReport,
} from '../../../libs/contracts/src/api-views.js';
export type { ServiceState } from '../../../libs/contracts/src/vocabulary.js';
/** Plain constants (a few bytes in the bundle): the API's own lists, so the console cannot drift from them. */
export { CREDENTIAL_DESTINATION_FIELDS } from '../../../libs/contracts/src/vocabulary.js';

export const formatTime = (iso: string | null): string => (iso ? new Date(iso).toLocaleString() : '—');
