import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { DirectoryIndex, type ClassifyInput } from '#journal';

export const FIXTURE_DIR = fileURLToPath(new URL('../../fixtures/journal/', import.meta.url));

export const SAMPLE_FILES = readdirSync(FIXTURE_DIR)
  .filter((name) => name.endsWith('.eml'))
  .sort();

/** A sample by its number, e.g. `sample('03')`. */
export function sample(number: string): Buffer {
  const file = SAMPLE_FILES.find((name) => name.startsWith(`${number}-`));
  if (file === undefined) throw new Error(`no sample ${number}`);
  return readFileSync(`${FIXTURE_DIR}${file}`);
}

/** contoso.com as in the samples' README: a few known mailboxes, one with an alias. */
export function contosoDirectory(): DirectoryIndex {
  return new DirectoryIndex({
    domains: [{ domain: 'contoso.com' }],
    addresses: [
      { address: 'alice@contoso.com', aliases: ['alice.anders@contoso.com'] },
      { address: 'bob@contoso.com', aliases: ['robert@contoso.com'] },
      { address: 'peter@contoso.com' },
      { address: 'legal@contoso.com' },
    ],
  });
}

/** What buildClassifiedRecord needs for `raw`, with fixed ids and times and the contoso directory. */
export function classifyInputFor(raw: Buffer, overrides: Partial<ClassifyInput> = {}): ClassifyInput & { raw: Buffer } {
  return {
    raw,
    rawRecord: { partition: 3, offset: '42' },
    connectorId: 'conn-1',
    uidl: 'UID-1',
    sha256: createHash('sha256').update(raw).digest('hex'),
    size: raw.length,
    journalType: 'envelope',
    extractedAt: '2026-01-02T03:04:05.000Z',
    directory: contosoDirectory(),
    now: () => new Date('2026-01-02T03:04:06.000Z'),
    ...overrides,
  };
}
