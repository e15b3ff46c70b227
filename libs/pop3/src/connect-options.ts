import { JournalwireError } from '#errors';
import type { Pop3ConnectOptions } from './types.js';

export const DEFAULT_TIMEOUTS = { connectMs: 10_000, greetingMs: 10_000, commandMs: 60_000 } as const;

export interface ResolvedTimeouts {
  connectMs: number;
  greetingMs: number;
  commandMs: number;
}

export function resolveTimeouts(options: Pop3ConnectOptions): ResolvedTimeouts {
  return {
    connectMs: options.timeouts?.connectMs ?? DEFAULT_TIMEOUTS.connectMs,
    greetingMs: options.timeouts?.greetingMs ?? DEFAULT_TIMEOUTS.greetingMs,
    commandMs: options.timeouts?.commandMs ?? DEFAULT_TIMEOUTS.commandMs,
  };
}

/** Rejects options that cannot work or that would let a value inject protocol lines. */
export function validateConnectOptions(options: Pop3ConnectOptions): void {
  const problems: string[] = [];
  if (!options.host || /\s/.test(options.host)) problems.push('host: expected a host name or IP address');
  if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65_535)
    problems.push('port: expected a TCP port 1-65535');
  if (!['pop3s', 'stls', 'plain'].includes(options.transport))
    problems.push('transport: expected pop3s, stls or plain');
  if (!['strict', 'relaxed'].includes(options.tlsMode)) problems.push('tlsMode: expected strict or relaxed');
  if (!options.username || /[\r\n\0]/.test(options.username))
    problems.push('username: expected a non-empty single line');
  // The password's value is never echoed, only what is wrong with it.
  if (typeof options.password !== 'string' || options.password === '' || /[\r\n\0]/.test(options.password)) {
    problems.push('password: expected a non-empty single line without NUL');
  }
  for (const [name, value] of Object.entries(options.timeouts ?? {})) {
    if (value !== undefined && (!Number.isFinite(value) || value <= 0))
      problems.push(`timeouts.${name}: expected a positive number of milliseconds`);
  }
  if (problems.length > 0) {
    throw new JournalwireError('config-invalid', `Invalid POP3 connection settings: ${problems.join('; ')}.`, {
      details: { problems },
    });
  }
}
