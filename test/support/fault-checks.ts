import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ArchivedRecord } from '#contracts';
import type { ConnectorRecords } from '#kafka';

export function sha256Of(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** What exactly-once against the source set found: empty lists mean it holds. */
export interface ExactlyOnceReport {
  raw: number;
  delivered: number;
  /** Delivered messages with no archive, and archives of bytes never delivered. */
  notArchived: string[];
  notDelivered: string[];
  /** Source hashes published more than once to journal.raw.v2, or archived more than once. */
  rawTwice: string[];
  archivedTwice: string[];
  merges: number;
  rejected: number;
  deadLettered: number;
}

function repeated(values: string[]): string[] {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const value of values) (seen.has(value) ? twice : seen).add(value);
  return [...twice];
}

/**
 * Compares one connector's records with the delivered messages: every delivered sha256 is
 * published once and archived once (event `archive`, `sha256Before`), nothing else is.
 */
export function exactlyOnce(delivered: Buffer[], records: ConnectorRecords): ExactlyOnceReport {
  const source = new Set(delivered.map(sha256Of));
  const archives = records.archived.filter((record: ArchivedRecord) => record.event === 'archive');
  const archived = archives.map((record) => record.sha256Before);
  const archivedSet = new Set(archived);
  return {
    raw: records.raws.length,
    delivered: delivered.length,
    notArchived: [...source].filter((hash) => !archivedSet.has(hash)),
    notDelivered: [...archivedSet].filter((hash) => !source.has(hash)),
    rawTwice: repeated(records.raws.map((raw) => raw.sha256)),
    archivedTwice: repeated(archived),
    merges: records.archived.length - archives.length,
    rejected: records.rejected.length,
    deadLettered: records.dead.length,
  };
}

/** The `AUTH PLAIN` initial responses a client may send for these credentials. */
export function authPlainForms(user: string, password: string): string[] {
  return [`\u0000${user}\u0000${password}`, `${user}\u0000${user}\u0000${password}`].map((plain) =>
    Buffer.from(plain, 'utf8').toString('base64'),
  );
}

/** Files under `dir` (recursively) modified at or after `since`. */
export function filesChangedSince(dir: string, since: number): string[] {
  const out: string[] = [];
  const walk = (path: string) => {
    let names: string[];
    try {
      names = readdirSync(path);
    } catch {
      return;
    }
    for (const name of names) {
      const full = join(path, name);
      const stat = statSync(full, { throwIfNoEntry: false });
      if (stat === undefined) continue;
      if (stat.isDirectory()) walk(full);
      else if (stat.mtimeMs >= since) out.push(full);
    }
  };
  walk(dir);
  return out;
}

/** Which secrets occur in which files: `[{ file, secret }]`, empty when none leaks. */
export function secretsInFiles(files: string[], secrets: string[]): Array<{ file: string; secret: string }> {
  const found: Array<{ file: string; secret: string }> = [];
  for (const file of files) {
    const text = readFileSync(file, 'latin1');
    for (const secret of secrets) if (secret !== '' && text.includes(secret)) found.push({ file, secret });
  }
  return found;
}
