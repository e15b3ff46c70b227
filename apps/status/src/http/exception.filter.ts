import { BaseRpcExceptionFilter } from '@nestjs/microservices';
import { Catch, HttpException, HttpStatus, Inject, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { ApiErrorBody } from '#contracts';
import { isJournalwireError, type ErrorCode } from '#errors';
import type { Logger } from '#logger';
import { LOGGER } from '#platform';
import type { HttpRequest, HttpResponse } from './http-types.js';
import type { FieldProblem } from './validation.js';

/** The one mapping from the error vocabulary to HTTP statuses. */
export const HTTP_STATUS_OF: Partial<Record<ErrorCode, number>> = {
  validation: HttpStatus.BAD_REQUEST,
  unauthorized: HttpStatus.UNAUTHORIZED,
  forbidden: HttpStatus.FORBIDDEN,
  'rate-limited': HttpStatus.TOO_MANY_REQUESTS,
  'not-found': HttpStatus.NOT_FOUND,
  conflict: HttpStatus.CONFLICT,
  'kafka-unavailable': HttpStatus.SERVICE_UNAVAILABLE,
  timeout: HttpStatus.GATEWAY_TIMEOUT,
};

const CODE_OF_HTTP_STATUS: Record<number, ErrorCode> = {
  400: 'validation',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  405: 'validation',
  409: 'conflict',
  413: 'validation',
  415: 'validation',
  429: 'rate-limited',
};

/** The error body of every REST response (apiErrorBodySchema, libs/contracts), with a known code. */
export type ErrorBody = ApiErrorBody & { error: ErrorCode; fields?: FieldProblem[] };

/** Renders every error as `{ error, message, fields? }` with the status its code maps to. */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  private readonly rpc = new BaseRpcExceptionFilter();

  catch(exception: unknown, host: ArgumentsHost): unknown {
    // gRPC handlers raise RpcExceptions with their status codes: keep Nest's RPC handling.
    if (host.getType() !== 'http') return this.rpc.catch(exception, host);
    const response = host.switchToHttp().getResponse<HttpResponse>();
    if (
      exception instanceof HttpException &&
      host.switchToHttp().getRequest<HttpRequest>().path.startsWith('/health/')
    ) {
      // Readiness keeps Terminus' own body: which dependency is down and why.
      response.status(exception.getStatus()).json(exception.getResponse());
      return undefined;
    }
    const { status, body } = this.render(exception);
    if (status >= 500) this.logger.error({ err: exception }, `request failed: ${body.message}`);
    if (status === HttpStatus.UNAUTHORIZED) response.setHeader('WWW-Authenticate', 'Bearer realm="journalwire"');
    const retryAfter = isJournalwireError(exception) ? exception.details['retryAfterSeconds'] : undefined;
    if (typeof retryAfter === 'number') response.setHeader('Retry-After', String(retryAfter));
    response.status(status).json(body);
    return undefined;
  }

  private render(exception: unknown): { status: number; body: ErrorBody } {
    if (isJournalwireError(exception)) {
      const status = HTTP_STATUS_OF[exception.code] ?? HttpStatus.INTERNAL_SERVER_ERROR;
      const fields = exception.details['fields'] as FieldProblem[] | undefined;
      const message = status >= 500 && exception.code === 'internal' ? 'Internal error' : exception.message;
      return { status, body: { error: exception.code, message, ...(fields ? { fields } : {}) } };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      let message = httpMessage(exception);
      if (status === 400 && /JSON/.test(message) && !message.startsWith('Request body'))
        message = `Request body is not valid JSON: ${message}`;
      return { status, body: { error: CODE_OF_HTTP_STATUS[status] ?? 'internal', message } };
    }
    if (isBodyParserError(exception)) {
      const message = exception.type === 'entity.parse.failed' ? 'Request body is not valid JSON' : exception.message;
      return {
        status: exception.status,
        body: { error: CODE_OF_HTTP_STATUS[exception.status] ?? 'validation', message },
      };
    }
    return { status: HttpStatus.INTERNAL_SERVER_ERROR, body: { error: 'internal', message: 'Internal error' } };
  }
}

function httpMessage(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : exception.message;
}

function isBodyParserError(error: unknown): error is Error & { status: number; type: string } {
  return (
    error instanceof Error &&
    typeof (error as { status?: unknown }).status === 'number' &&
    typeof (error as { type?: unknown }).type === 'string'
  );
}
