import type { Principal } from '../auth/api-token.service.js';

/** The parts of Express's request and response this app uses (no @types/express in the tree). */
export interface HttpRequest {
  method: string;
  path: string;
  originalUrl: string;
  headers: Record<string, string | string[] | undefined>;
  body?: unknown;
  /** The client address (Express: the socket's, or X-Forwarded-For's when HTTP_TRUST_PROXY says so). */
  ip?: string;
  /** Set by the API token guard: the token that authenticated the request. */
  principal?: Principal;
}

export interface HttpResponse {
  status(code: number): HttpResponse;
  json(body: unknown): void;
  setHeader(name: string, value: string): void;
}
