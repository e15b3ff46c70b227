import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { contractJsonSchemas } from '#contracts';
import { runCli } from './cli.js';

// npm run contracts:schema: writes docs/schemas/*.json, the JSON Schema of each record's metadata,
// generated from the zod schemas in libs/contracts (a unit test fails when they are out of date).
const DIRECTORY = 'docs/schemas';

runCli('contracts:schema', async () => {
  await mkdir(DIRECTORY, { recursive: true });
  const files = contractJsonSchemas();
  for (const [file, text] of files) await writeFile(join(DIRECTORY, file), text);
  const stale = (await readdir(DIRECTORY)).filter((file) => file.endsWith('.json') && !files.has(file));
  process.stdout.write(`wrote ${files.size} schemas to ${DIRECTORY}\n`);
  if (stale.length > 0) process.stdout.write(`not generated (remove them?): ${stale.join(', ')}\n`);
});
