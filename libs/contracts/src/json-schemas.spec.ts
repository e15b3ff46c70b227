import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { contractJsonSchemas } from './json-schemas.js';

describe('docs/schemas', () => {
  const generated = contractJsonSchemas();

  it('are the JSON Schemas the zod schemas give (run `npm run contracts:schema` after a contract change)', () => {
    const checkedIn = readdirSync('docs/schemas').filter((file) => file.endsWith('.json'));
    expect(checkedIn.sort()).toEqual([...generated.keys()].sort());
    for (const [file, text] of generated) expect(readFileSync(`docs/schemas/${file}`, 'utf8'), file).toBe(text);
  });

  it('describe the archived metadata with the byte range of each original', () => {
    const schema = JSON.parse(generated.get('journal.archived.v2.meta.json')!) as {
      properties: Record<string, { items?: { required?: string[] } }>;
      required: string[];
    };
    expect(schema.required).toEqual(expect.arrayContaining(['schema', 'event', 'rawRecord', 'originals']));
    expect(schema.properties.originals?.items?.required).toEqual(expect.arrayContaining(['start', 'end']));
  });
});
