import { JournalwireError } from '#errors';
import { TLS_VERSIONS, type Pop3ConnectOptions } from './types.js';

export const DEFAULT_TIMEOUTS = {
  connectMs: 10_000,
  greetingMs: 10_000,
  commandMs: 60_000,
  commandDeadlineMs: 10 * 60_000,
  sessionMs: 60 * 60_000,
} as const;

const KIB = 1024;
const MIB = 1024 * KIB;

export const DEFAULT_LIMITS = {
  maxCapabilityBytes: 64 * KIB,
  maxListingBytes: 32 * MIB,
  maxMessageBytes: 512 * MIB,
  retrSizeFactor: 2,
  retrSizeSlackBytes: MIB,
} as const;

export type ResolvedTimeouts = { [K in keyof typeof DEFAULT_TIMEOUTS]: number };
export type ResolvedLimits = { [K in keyof typeof DEFAULT_LIMITS]: number };

export function resolveTimeouts(options: Pop3ConnectOptions): ResolvedTimeouts {
  return { ...DEFAULT_TIMEOUTS, ...definedOnly(options.timeouts) };
}

export function resolveLimits(options: Pop3ConnectOptions): ResolvedLimits {
  return { ...DEFAULT_LIMITS, ...definedOnly(options.limits) };
}

/** The largest RETR/TOP body accepted for a message LIST announced with `listedSize` bytes (or not at all). */
export function messageByteCap(limits: ResolvedLimits, listedSize: number | undefined): number {
  if (listedSize === undefined) return limits.maxMessageBytes;
  return Math.min(limits.maxMessageBytes, Math.ceil(listedSize * limits.retrSizeFactor) + limits.retrSizeSlackBytes);
}

/** The largest UIDL/LIST body accepted, knowing STAT's message count or not. */
export function listingByteCap(limits: ResolvedLimits, statCount: number | null): number {
  if (statCount === null) return limits.maxListingBytes;
  return Math.min(limits.maxListingBytes, statCount * 128 + 64 * KIB);
}

function definedOnly<T extends object>(values: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(values ?? {}).filter(([, value]) => value !== undefined)) as Partial<T>;
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
  if (options.minTlsVersion !== undefined && !TLS_VERSIONS.includes(options.minTlsVersion))
    problems.push(`minTlsVersion: expected one of ${TLS_VERSIONS.join(', ')}`);
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
  for (const [name, value] of Object.entries(options.limits ?? {})) {
    if (value !== undefined && (!Number.isFinite(value) || value < 0))
      problems.push(`limits.${name}: expected a number >= 0`);
  }
  if (problems.length > 0) {
    throw new JournalwireError('config-invalid', `Invalid POP3 connection settings: ${problems.join('; ')}.`, {
      details: { problems },
    });
  }
}
