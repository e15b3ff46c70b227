import { describe, expect, it } from 'vitest';
import {
  deadLetterRecordSchema,
  encodeMessageRecord,
  rejectedRecordSchema,
  TOPICS,
  type DeadLetterRecord,
  type RejectedRecord,
} from '#contracts';
import { MAX_LISTED_CHARS, outcomeRowOf, type OutcomeSource } from './outcome-rows.js';

const sha = 'a'.repeat(64);
const at = '2026-12-02T04:00:00.000Z';
const position = { partition: 2, offset: '7' };
type Body = Parameters<typeof encodeMessageRecord>[2];

/** What a rejection and a dead letter both say of the raw record they are about. */
const rawRecord = (offset: string, uidl: string) => ({
  rawId: `c/${sha}`,
  rawRecord: { partition: 1, offset },
  connectorId: 'c',
  uidl,
  sha256: sha,
});

/** A journal.dlq.v2 record at `position`: a valid dead letter, with `fields` changed. */
function deadLetter(fields: Partial<DeadLetterRecord>, body: Body): OutcomeSource {
  const record: DeadLetterRecord = {
    schema: 'journal.dlq.v2',
    ...rawRecord('3', 'u1'),
    stage: 'envelope',
    error: { code: 'message-unparseable', message: 'no envelope' },
    source: { topic: TOPICS.raw, partition: 1, offset: '3' },
    attempts: 1,
    failedAt: at,
    ...fields,
  };
  return { topic: TOPICS.dlq, ...position, ...encodeMessageRecord(deadLetterRecordSchema, record, body) };
}

/** A journal.rejected.v2 record at `position`: a valid rejection, with `fields` changed. */
function rejection(fields: Partial<RejectedRecord>, body: Body): OutcomeSource {
  const record: RejectedRecord = {
    schema: 'journal.rejected.v2',
    ...rawRecord('4', 'u2'),
    reason: 'external-not-journaled',
    classification: 'external',
    messageId: '<r@x>',
    sender: 'x@fabrikam.com',
    subject: 'Hello',
    extractedAt: at,
    rejectedAt: at,
    ...fields,
  };
  return { topic: TOPICS.rejected, ...position, ...encodeMessageRecord(rejectedRecordSchema, record, body) };
}

describe('outcomeRowOf', () => {
  it('lists a dead letter with the top-level headers of its inline message, never the bytes', () => {
    const message = Buffer.from('From: Bob <bob@contoso.com>\r\nSubject: Hello\r\nMessage-ID: <m@x>\r\n\r\nbody');
    const row = outcomeRowOf(deadLetter({}, { inline: message }));
    expect(row).toEqual({
      connectorId: 'c',
      type: 'dead-lettered',
      topic: TOPICS.dlq,
      ...position,
      rawId: `c/${sha}`,
      rawRecord: { partition: 1, offset: '3' },
      uidl: 'u1',
      sha256: sha,
      reason: 'message-unparseable',
      error: 'no envelope',
      stage: 'envelope',
      messageId: '<m@x>',
      sender: 'bob@contoso.com',
      subject: 'Hello',
      message: { inline: { size: message.length } },
      at,
    });
  });

  it('lists a rejection with the original sender and subject, cut for display, and its claim check', () => {
    const claimCheck = { store: 'fs', key: `aa/${sha}`, sha256: sha, size: 600_000 };
    const row = outcomeRowOf(rejection({ subject: 's'.repeat(5000) }, { claimCheck }));
    expect(row).toMatchObject({
      type: 'rejected',
      reason: 'external-not-journaled',
      messageId: '<r@x>',
      sender: 'x@fabrikam.com',
      message: { claimCheck },
      at,
    });
    expect(row!.subject).toHaveLength(MAX_LISTED_CHARS + 1);
  });

  it('ignores other topics and refuses a record that does not match its schema', () => {
    expect(outcomeRowOf({ topic: TOPICS.archived, ...position, value: Buffer.from('{}'), headers: {} })).toBeNull();
    expect(() =>
      outcomeRowOf({ topic: TOPICS.dlq, ...position, value: null, headers: { 'jw-meta': '{"schema":1}' } }),
    ).toThrow(/schema/);
  });

  it('makes a hostile record storable: NUL becomes U+FFFD; a connector id no definition has is not listed', () => {
    const dead = (connectorId: string) =>
      deadLetter(
        {
          rawId: `${connectorId}/${sha}\u0000`,
          rawRecord: null,
          connectorId,
          uidl: 'u\u0000',
          sha256: null,
          stage: 'policy',
          error: { code: 'validation', message: 'PostgreSQL refused \u0000' },
          source: { topic: TOPICS.classified, partition: 0, offset: '1' },
          attempts: undefined,
        },
        { claimCheck: { store: 'fs', key: 'k\u0000', sha256: sha, size: 1 } },
      );
    const row = outcomeRowOf(dead('c'));
    expect(JSON.stringify(row)).not.toContain('\\u0000');
    expect(row).toMatchObject({
      rawId: `c/${sha}\uFFFD`,
      uidl: 'u\uFFFD',
      message: { claimCheck: { key: 'k\uFFFD' } },
    });
    expect(outcomeRowOf(dead('c'.repeat(65)))).toBeNull();
  });
});
