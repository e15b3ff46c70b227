import type { ListEntry, MailboxStat, UidlEntry } from './types.js';

/** What CAPA announced: upper-case names, and each name's arguments (e.g. SASL → PLAIN LOGIN). */
export interface Capabilities {
  names: ReadonlySet<string>;
  arguments: ReadonlyMap<string, readonly string[]>;
}

export const NO_CAPABILITIES: Capabilities = { names: new Set(), arguments: new Map() };

export function parseCapabilities(body: Buffer): Capabilities {
  const names = new Set<string>();
  const args = new Map<string, string[]>();
  for (const line of bodyLines(body)) {
    const [name, ...rest] = line.trim().split(/\s+/);
    if (!name) continue;
    const upper = name.toUpperCase();
    names.add(upper);
    args.set(upper, rest);
  }
  return { names, arguments: args };
}

/** The text of a STAT +OK ("count size ..."); null when it does not say that. */
export function parseStat(text: string): MailboxStat | null {
  const match = /^(\d+)\s+(\d+)/.exec(text.trim());
  if (!match) return null;
  return { count: Number(match[1]), size: Number(match[2]) };
}

export function parseListing(body: Buffer): ListEntry[] | null {
  const entries: ListEntry[] = [];
  for (const line of bodyLines(body)) {
    const match = /^(\d+)\s+(\d+)/.exec(line);
    if (!match) return null;
    entries.push({ msg: Number(match[1]), size: Number(match[2]) });
  }
  return entries;
}

/** RFC 1939: a unique-id is 1 to 70 characters. */
export const MAX_UIDL_LENGTH = 70;

export function parseUidListing(body: Buffer): UidlEntry[] | null {
  const entries: UidlEntry[] = [];
  for (const line of bodyLines(body)) {
    // RFC 1939: the unique-id is 1 to 70 characters in the range 0x21 to 0x7E.
    const match = /^(\d+)\s+([\x21-\x7e]+)/.exec(line);
    if (!match) return null;
    entries.push({ msg: Number(match[1]), uid: match[2] ?? '' });
  }
  return entries;
}

function bodyLines(body: Buffer): string[] {
  return body
    .toString('latin1')
    .split('\r\n')
    .filter((line) => line.length > 0);
}
