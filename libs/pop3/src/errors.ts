import { JournalwireError } from '#errors';
import type { StatusLine } from './status-line.js';

export interface Endpoint {
  host: string;
  port: number;
}

export function describeEndpoint(endpoint: Endpoint): string {
  return endpoint.host.includes(':') ? `[${endpoint.host}]:${endpoint.port}` : `${endpoint.host}:${endpoint.port}`;
}

/** Verbs whose -ERR means the login was refused. */
const LOGIN_VERBS = new Set(['USER', 'PASS', 'AUTH', 'APOP']);

/**
 * Maps a -ERR response to the error vocabulary, using the RFC 2449 / RFC 3206 response code when
 * there is one. `command` must never contain credentials (pass "PASS", not the command line).
 */
export function errorForResponse(command: string, status: StatusLine, endpoint: Endpoint): JournalwireError {
  const verb = (command.split(' ')[0] ?? command).toUpperCase();
  const where = describeEndpoint(endpoint);
  const said = status.text || status.line;
  const details = { host: endpoint.host, port: endpoint.port, command, response: status.line };
  const code = status.responseCode ?? '';

  if (code === 'IN-USE' || code.startsWith('IN-USE/')) {
    return new JournalwireError(
      'mailbox-in-use',
      `The mailbox at ${where} is locked by another POP3 session ("${said}"). Stop the other client or retry later.`,
      { details, retryable: true },
    );
  }
  if (code === 'SYS/TEMP' || code === 'LOGIN-DELAY' || code.startsWith('LOGIN-DELAY/')) {
    return new JournalwireError(
      'server-temporary',
      `The POP3 server at ${where} reported a temporary failure for ${command} ("${said}"); retry later.`,
      { details, retryable: true },
    );
  }
  if (code === 'SYS/PERM' || code.startsWith('SYS/')) {
    return new JournalwireError(
      'server-permanent',
      `The POP3 server at ${where} reported a permanent failure for ${command} ("${said}"). Check the mailbox on the server.`,
      { details },
    );
  }
  if (code === 'AUTH' || code.startsWith('AUTH/') || LOGIN_VERBS.has(verb)) {
    return new JournalwireError(
      'authentication',
      `The POP3 server at ${where} rejected the login (${verb}: "${said}"). Check the mailbox user name and password.`,
      { details },
    );
  }
  if (verb === 'GREETING') {
    return new JournalwireError('server-temporary', `The POP3 server at ${where} refused the connection ("${said}").`, {
      details,
      retryable: true,
    });
  }
  return new JournalwireError('server-permanent', `The POP3 server at ${where} refused ${command} ("${said}").`, {
    details,
  });
}

export function protocolError(endpoint: Endpoint, reason: string): JournalwireError {
  return new JournalwireError(
    'protocol',
    `The POP3 server at ${describeEndpoint(endpoint)} broke the protocol: ${reason}.`,
    {
      details: { host: endpoint.host, port: endpoint.port },
    },
  );
}

export function connectionClosedError(endpoint: Endpoint, waitingFor: string, cause?: unknown): JournalwireError {
  const reason = cause instanceof Error ? ` (${cause.message})` : '';
  return new JournalwireError(
    'connection-closed',
    `The connection to the POP3 server at ${describeEndpoint(endpoint)} closed while waiting for ${waitingFor}${reason}.`,
    { cause, details: { host: endpoint.host, port: endpoint.port }, retryable: true },
  );
}

export function timeoutError(endpoint: Endpoint, waitingFor: string, ms: number): JournalwireError {
  return new JournalwireError(
    'timeout',
    `The POP3 server at ${describeEndpoint(endpoint)} did not answer ${waitingFor} within ${ms} ms.`,
    { details: { host: endpoint.host, port: endpoint.port, timeoutMs: ms }, retryable: true },
  );
}

export function nameResolutionError(host: string, cause: unknown): JournalwireError {
  const code = errnoCode(cause);
  const temporary = code === 'EAI_AGAIN' || code === 'ETIMEOUT';
  return new JournalwireError(
    'name-resolution',
    `The POP3 server name "${host}" could not be resolved${code ? ` (${code})` : ''}. Check the host name and the DNS settings.`,
    { cause, details: { host, errno: code }, retryable: temporary },
  );
}

/** Maps an error from opening a TCP connection. */
export function tcpConnectError(endpoint: Endpoint, cause: unknown): JournalwireError {
  const code = errnoCode(cause);
  const where = describeEndpoint(endpoint);
  const details = { host: endpoint.host, port: endpoint.port, errno: code };
  switch (code) {
    case 'ECONNREFUSED':
      return new JournalwireError(
        'connection-refused',
        `Connection refused by ${where}: no service listens on that port. Check the host, the port and that the POP3 server is running.`,
        { cause, details, retryable: true },
      );
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EADDRNOTAVAIL':
      return new JournalwireError(
        'connection-refused',
        `${where} is unreachable (${code}). Check the host and the network route.`,
        {
          cause,
          details,
          retryable: true,
        },
      );
    case 'ETIMEDOUT':
      return new JournalwireError('timeout', `Connecting to ${where} timed out (${code}).`, {
        cause,
        details,
        retryable: true,
      });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
    case 'EAI_NONAME':
      return nameResolutionError(endpoint.host, cause);
    default:
      return connectionClosedError(endpoint, 'the TCP connection', cause);
  }
}

export function errnoCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string')
    return error.code;
  return undefined;
}

/** An absolute deadline passed (a response or the whole session), however steadily the server was sending. */
export function deadlineError(endpoint: Endpoint, what: string, ms: number, receivedBytes?: number): JournalwireError {
  const received = receivedBytes === undefined ? '' : ` (${receivedBytes} bytes received)`;
  return new JournalwireError(
    'deadline-exceeded',
    `The POP3 server at ${describeEndpoint(endpoint)} did not complete ${what} within its deadline of ${ms} ms${received}; the connection was dropped. The server is too slow or trickling data.`,
    {
      details: {
        host: endpoint.host,
        port: endpoint.port,
        deadline: what === 'the session' ? 'session' : 'response',
        deadlineMs: ms,
        receivedBytes,
      },
      retryable: true,
    },
  );
}

/** A multi-line response grew past its byte cap (an endless CAPA or UIDL, a RETR far beyond its LIST size). */
export function responseTooLargeError(endpoint: Endpoint, what: string, limitBytes: number): JournalwireError {
  return new JournalwireError(
    'response-too-large',
    `The POP3 server at ${describeEndpoint(endpoint)} sent more than ${limitBytes} bytes in ${what}, more than it may; the connection was dropped.`,
    { details: { host: endpoint.host, port: endpoint.port, limitBytes } },
  );
}
