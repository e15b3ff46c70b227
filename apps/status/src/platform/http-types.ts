/** The parts of Express's request and response this app uses (no @types/express in the tree). */
export interface HttpRequest {
  method: string;
  path: string;
  originalUrl: string;
  headers: Record<string, string | string[] | undefined>;
  body?: unknown;
  /** Set by the API token guard: the name of the token that authenticated the request. */
  actor?: string;
}

export interface HttpResponse {
  status(code: number): HttpResponse;
  json(body: unknown): void;
  setHeader(name: string, value: string): void;
}
