import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifiedRecordSchema } from '#contracts';
import { buildClassifiedRecord, dedupKey, parseJournalMessage, type EnvelopeRecipient } from './index.js';
import { SAMPLE_FILES, classifyInputFor, contosoDirectory, sample } from '../../../test/support/journal/fixtures.js';
import { buildReport, parseWholeAndStreamed, type ReportSpec } from '../../../test/support/journal/report-builder.js';

const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?$/);
const domain = fc.oneof(
  fc.constantFrom('contoso.com', 'fabrikam.com', 'fabrikam.de'),
  fc.tuple(label, label).map(([a, b]) => `${a}.${b}`),
);
const localPart = fc.stringMatching(/^[a-z0-9](?:[a-z0-9._+-]{0,12}[a-z0-9])?$/);
/** Addresses as written, in any case; the parser reports them lower-cased. */
const address = fc
  .tuple(localPart, domain, fc.boolean())
  .map(([local, host, upper]) => (upper ? `${local}@${host}`.toUpperCase() : `${local}@${host}`));

const recipient: fc.Arbitrary<EnvelopeRecipient> = fc
  .tuple(
    address,
    fc.constantFrom('to', 'cc', 'bcc', 'recipient') as fc.Arbitrary<EnvelopeRecipient['type']>,
    fc.constantFrom(undefined, 'expanded', 'forwarded') as fc.Arbitrary<EnvelopeRecipient['via']>,
    address,
  )
  .map(([addr, type, via, viaAddress]) =>
    via === undefined ? { address: addr, type } : { address: addr, type, via, viaAddress },
  );

const subject = fc.string({ unit: 'grapheme', maxLength: 80 }).filter((s) => !/[\r\n]/.test(s) && s.trim() === s);

const reportSpec: fc.Arbitrary<ReportSpec> = fc.record({
  sender: address,
  onBehalfOf: fc.option(address, { nil: undefined }),
  subject,
  messageId: fc.tuple(localPart, domain).map(([l, d]) => `<${l.toUpperCase()}@${d}>`),
  recipients: fc.array(recipient, { minLength: 1, maxLength: 12 }),
  lineEnding: fc.constantFrom('\r\n', '\n') as fc.Arbitrary<'\r\n' | '\n'>,
  envelopeEncoding: fc.constantFrom('7bit', 'quoted-printable', 'base64') as fc.Arbitrary<
    ReportSpec['envelopeEncoding']
  >,
  fieldCase: fc.constantFrom('canonical', 'lower', 'upper') as fc.Arbitrary<ReportSpec['fieldCase']>,
  qualifierCase: fc.constantFrom('canonical', 'lower', 'upper') as fc.Arbitrary<ReportSpec['qualifierCase']>,
  displayNames: fc.boolean(),
});

/** What the parser must report for a generated envelope: lower-cased, each distinct tuple once. */
function expectedRecipients(recipients: EnvelopeRecipient[]): EnvelopeRecipient[] {
  const seen = new Set<string>();
  const result: EnvelopeRecipient[] = [];
  for (const { address: addr, type, via, viaAddress } of recipients) {
    const expected: EnvelopeRecipient =
      via === undefined
        ? { address: addr.toLowerCase(), type }
        : { address: addr.toLowerCase(), type, via, viaAddress: viaAddress?.toLowerCase() };
    const key = JSON.stringify([expected.address, type, via, expected.viaAddress]);
    if (!seen.has(key)) {
      seen.add(key);
      result.push(expected);
    }
  }
  return result;
}

/** 7bit cannot carry a non-ASCII subject: such envelopes are written raw as 8bit. */
function normalise(spec: ReportSpec): ReportSpec {
  const ascii = /^[\x20-\x7e]*$/.test(spec.subject);
  return spec.envelopeEncoding === '7bit' && !ascii ? { ...spec, envelopeEncoding: '8bit' } : spec;
}

type Mutation =
  | { kind: 'flip'; at: number; value: number }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'insert'; at: number; text: string };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 64 }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.constantFrom(
      '\r\n',
      '\n',
      '\r',
      '--',
      ':',
      '\r\n\r\n',
      '=',
      '=\r\n',
      '<',
      '>',
      ',',
      'Expanded:',
      '\t',
      '\x00',
      '\xff',
      'Content-Type: message/rfc822\r\n\r\n',
    ),
  }),
);

function mutate(raw: Buffer, mutations: Mutation[]): Buffer {
  let bytes = Buffer.from(raw);
  for (const m of mutations) {
    const at = bytes.length === 0 ? 0 : m.at % bytes.length;
    if (m.kind === 'flip') bytes[at] = m.value;
    else if (m.kind === 'delete') bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + m.length)]);
    else bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(m.text, 'latin1'), bytes.subarray(at)]);
  }
  return bytes;
}

const KINDS = ['journal', 'journal-defective', 'plain'];

describe('properties', () => {
  it('generated reports parse back to what generated them', () => {
    fc.assert(
      fc.property(reportSpec.map(normalise), (spec) => {
        const parsed = parseJournalMessage(buildReport(spec), { journalType: 'envelope' });
        expect(parsed.defects).toEqual([]);
        expect(parsed.kind).toBe('journal');
        expect(parsed.sender).toBe(spec.sender.toLowerCase());
        expect(parsed.onBehalfOf).toBe(spec.onBehalfOf?.toLowerCase() ?? null);
        expect(parsed.subject).toBe(spec.subject);
        expect(parsed.messageId).toBe(spec.messageId);
        expect(parsed.recipients).toEqual(expectedRecipients(spec.recipients));
        expect(parsed.originals.map((o) => o.role)).toEqual(['primary']);
      }),
      { numRuns: 300 },
    );
  });

  it('the streaming parser agrees with the buffer parser on generated reports, in any chunking', async () => {
    await fc.assert(
      fc.asyncProperty(
        reportSpec.map(normalise),
        fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 4 }),
        async (spec, sizes) => {
          const raw = buildReport(spec);
          const { parsed, streamed, key } = await parseWholeAndStreamed(raw, 'envelope', sizes);
          expect(streamed).toEqual(parsed);
          expect(key).toEqual(dedupKey(raw, parsed));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('arbitrary bytes never make the parser throw', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 2000 }),
        fc.constantFrom('envelope', 'eml') as fc.Arbitrary<'envelope' | 'eml'>,
        async (data, journalType) => {
          const { parsed, streamed } = await parseWholeAndStreamed(Buffer.from(data), journalType, [13]);
          expect(KINDS).toContain(parsed.kind);
          expect(streamed).toEqual(parsed);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('mutated samples never make the parser throw, stream and buffer agree, and the record stays valid', async () => {
    const directory = contosoDirectory();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...SAMPLE_FILES),
        fc.array(mutation, { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 300 }),
        async (file, mutations, chunkSize) => {
          const raw = mutate(sample(file.slice(0, 2)), mutations);
          const { parsed, streamed, key } = await parseWholeAndStreamed(raw, 'envelope', [chunkSize]);
          expect(KINDS).toContain(parsed.kind);
          expect(streamed).toEqual(parsed);
          expect(key).toEqual(dedupKey(raw, parsed));
          const record = buildClassifiedRecord(classifyInputFor(raw, { directory }));
          expect(classifiedRecordSchema.safeParse(record).success).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });
});
