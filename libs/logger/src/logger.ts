import { pino, type Logger as PinoLogger, type LevelWithSilent } from 'pino';

export type Logger = PinoLogger;

/** Field names whose values never reach a log line, at any depth we know of. */
export const REDACTED_KEYS = [
  'password',
  'pass',
  'secret',
  'token',
  'authorization',
  'credentialKey',
  'apiToken',
] as const;

const REDACT_PATHS = REDACTED_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`, `headers.${key}`]);

export interface LoggerOptions {
  service: string;
  level?: LevelWithSilent;
  /** Where lines go; standard output when omitted. */
  destination?: NodeJS.WritableStream;
}

/** The one logger: JSON lines, a `service` field, credentials redacted. */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      name: options.service,
      level: options.level ?? 'info',
      base: { service: options.service, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination({ sync: false }),
  );
}

/** Masks a POP3 or AUTH command line that carries a credential. */
export function redactProtocolLine(line: string): string {
  const match = /^(PASS|AUTH\s+\S+|APOP\s+\S+)(\s+).*/i.exec(line);
  if (match) return `${match[1]}${match[2]}[redacted]`;
  return line;
}
