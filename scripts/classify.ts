import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { ZodError } from 'zod';
import { JournalwireError } from '#errors';
import { buildClassifiedRecord, DirectoryIndex, type JournalType } from '#journal';
import { runCli } from './cli.js';

const USAGE =
  'usage: npm run classify -- [--directory DIR.json] [--journal-type envelope|eml] [--connector ID] [--journal-mailbox ADDRESS] FILE.eml ...\n';

async function loadDirectory(path: string | undefined): Promise<DirectoryIndex> {
  if (path === undefined) return new DirectoryIndex({ domains: [], addresses: [] });
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new JournalwireError('not-found', `cannot read the directory file ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  try {
    return DirectoryIndex.fromJson(JSON.parse(text));
  } catch (error) {
    const reason =
      error instanceof ZodError
        ? error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ')
        : (error as Error).message;
    throw new JournalwireError(
      'config-invalid',
      `${path} is not a valid directory ({"domains": [...], "addresses": [...]}): ${reason}`,
      { cause: error },
    );
  }
}

async function assertReadableFiles(paths: string[]): Promise<void> {
  for (const path of paths) {
    const info = await stat(path).catch(() => null);
    if (info === null || !info.isFile()) throw new JournalwireError('not-found', `no such file: ${path}`);
  }
}

// npm run classify -- --directory DIR.json FILE.eml ...: one journal.classified.v2 metadata record per file
// as a JSON line, through the envelope service's code path (buildClassifiedRecord).
runCli('classify', async (argv) => {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      directory: { type: 'string' },
      'journal-type': { type: 'string', default: 'envelope' },
      connector: { type: 'string', default: 'cli' },
      'journal-mailbox': { type: 'string' },
    },
  });
  const journalType = values['journal-type'];
  if (positionals.length === 0 || (journalType !== 'envelope' && journalType !== 'eml')) {
    process.stderr.write(USAGE);
    return 2;
  }
  const directory = await loadDirectory(values.directory);
  await assertReadableFiles(positionals);
  for (const [index, path] of positionals.entries()) {
    const raw = await readFile(path);
    const record = buildClassifiedRecord({
      raw,
      // No Kafka record behind a file: the position on the command line stands in for the offset.
      rawRecord: { partition: 0, offset: String(index) },
      connectorId: values.connector,
      uidl: basename(path),
      sha256: createHash('sha256').update(raw).digest('hex'),
      size: raw.length,
      journalType: journalType as JournalType,
      extractedAt: new Date().toISOString(),
      directory,
      journalMailbox: values['journal-mailbox'] ?? null,
    });
    process.stdout.write(`${JSON.stringify(record)}\n`);
  }
  return 0;
});
