import { describe, expect, it } from 'vitest';
import {
  DirectoryIndex,
  buildDirectoryIndex,
  classify,
  directoryConfigSchema,
  parseJournalMessage,
  type EnvelopeRecipient,
} from './index.js';
import { contosoDirectory, sample } from '../../../test/support/journal/fixtures.js';
import { buildReport } from '../../../test/support/journal/report-builder.js';

const classifySample = (number: string, journalType: 'envelope' | 'eml' = 'envelope') =>
  classify(parseJournalMessage(sample(number), { journalType }), contosoDirectory());
const parse = (raw: Buffer) => parseJournalMessage(raw, { journalType: 'envelope' });
/** A parsed envelope report from `sender` to `recipients` (subject and Message-ID do not matter here). */
const report = (sender: string, recipients: EnvelopeRecipient[]) =>
  parse(buildReport({ sender, subject: 's', messageId: '<m@f>', recipients }));

describe('directory', () => {
  it('matches addresses and aliases case-insensitively, mapping aliases to the primary', () => {
    const directory = contosoDirectory();
    expect(directory.primaryAddress('ALICE@contoso.com')).toBe('alice@contoso.com');
    expect(directory.primaryAddress('Robert@Contoso.com')).toBe('bob@contoso.com');
    expect(directory.primaryAddress('nobody@contoso.com')).toBeNull();
  });

  it('matches domains exactly unless subdomains are included', () => {
    const directory = new DirectoryIndex({
      domains: [{ domain: 'contoso.com' }, { domain: 'corp.example', includeSubdomains: true }],
      addresses: [],
    });
    expect(directory.isInternalDomain('CONTOSO.COM')).toBe(true);
    expect(directory.isInternalDomain('eu.contoso.com')).toBe(false);
    expect(directory.isInternalDomain('corp.example')).toBe(true);
    expect(directory.isInternalDomain('mail.eu.corp.example')).toBe(true);
    expect(directory.isInternalDomain('notcorp.example')).toBe(false);
  });

  it('accepts plain strings as well as objects', () => {
    const config = directoryConfigSchema.parse({
      domains: ['contoso.com', { domain: 'corp.example', includeSubdomains: true }],
      addresses: ['alice@contoso.com', { address: 'bob@contoso.com', aliases: ['robert@contoso.com'] }],
    });
    expect(config).toEqual({
      domains: [{ domain: 'contoso.com' }, { domain: 'corp.example', includeSubdomains: true }],
      addresses: [{ address: 'alice@contoso.com' }, { address: 'bob@contoso.com', aliases: ['robert@contoso.com'] }],
    });
    expect(buildDirectoryIndex(config).primaryAddress('robert@contoso.com')).toBe('bob@contoso.com');
    expect(() => DirectoryIndex.fromJson({ domains: [42] })).toThrow(/expected a domain/);
  });
});

describe('classification (docs §7) with a contoso.com directory', () => {
  it('03: internal; unknown contoso members listed; the expanded group is no participant', () => {
    const result = classifySample('03');
    expect(result.classification).toBe('internal');
    expect(result.internalMailboxes).toEqual(['alice@contoso.com', 'bob@contoso.com']);
    expect(result.unknownInternalAddresses).toEqual([
      'erin@contoso.com',
      'gina@contoso.com',
      'hank@contoso.com',
      'bob.assistant@contoso.com',
    ]);
    expect(result.participants).toContainEqual({ address: 'customer@fabrikam.com', role: 'to', class: 'external' });
    expect(result.participants.map((p) => p.address)).not.toContain('sales@contoso.com');
  });

  it('04: Bcc recipients count as internal mailboxes for an envelope report, not for Standard EML', () => {
    expect(classifySample('04').internalMailboxes).toEqual([
      'alice@contoso.com',
      'bob@contoso.com',
      'legal@contoso.com',
    ]);
    expect(classifySample('04', 'eml').internalMailboxes).toEqual(['alice@contoso.com', 'bob@contoso.com']);
  });

  it('07: only unknown contoso addresses is unknown-internal', () => {
    expect(classifySample('07')).toMatchObject({
      classification: 'unknown-internal',
      internalMailboxes: [],
      unknownInternalAddresses: ['sam@contoso.com', 'tara@contoso.com'],
    });
  });

  it('08 (stepped down) uses the headers: vera and the journal mailbox are unknown-internal', () => {
    expect(classifySample('08')).toMatchObject({
      classification: 'unknown-internal',
      unknownInternalAddresses: ['vera@contoso.com', 'journal@contoso.com'],
    });
  });

  it('09 (defective) falls back to the original sender', () => {
    const result = classifySample('09');
    expect(result.participants[0]).toEqual({ address: 'xavier@contoso.com', role: 'from', class: 'unknown-internal' });
    expect(result.participants).toContainEqual({
      address: 'zoe@contoso.com',
      role: 'forwarded-for',
      class: 'unknown-internal',
    });
  });

  it('an alias resolves to its primary mailbox', () => {
    const message = report('ext@fabrikam.com', [{ address: 'Robert@Contoso.com', type: 'cc' }]);
    expect(classify(message, contosoDirectory())).toMatchObject({
      classification: 'internal',
      internalMailboxes: ['bob@contoso.com'],
    });
  });

  it('only external participants (or none) is external', () => {
    const message = report('a@fabrikam.com', [{ address: 'b@eu.contoso.com', type: 'to' }]);
    expect(classify(message, contosoDirectory())).toMatchObject({
      classification: 'external',
      internalMailboxes: [],
      unknownInternalAddresses: [],
    });
    expect(classify(parse(Buffer.alloc(0)), contosoDirectory()).classification).toBe('external');
  });
});

describe("classification: the journal mailbox (the connector's service email address) is no participant", () => {
  it('08 (mail sent to the journal mailbox) counts only the sender, and says the mailbox was addressed', () => {
    const result = classify(parse(sample('08')), contosoDirectory(), { journalMailbox: 'Journal@Contoso.com' });
    expect(result).toMatchObject({
      classification: 'unknown-internal',
      unknownInternalAddresses: ['vera@contoso.com'],
      journalMailboxAddressed: true,
    });
    expect(result.participants.map((p) => p.address)).toEqual(['vera@contoso.com']);
  });

  it('an external message that only reached the journal mailbox is external, not unknown-internal', () => {
    const message = report('spam@fabrikam.com', [{ address: 'journal@contoso.com', type: 'to' }]);
    expect(classify(message, contosoDirectory()).classification).toBe('unknown-internal');
    expect(classify(message, contosoDirectory(), { journalMailbox: 'journal@contoso.com' })).toMatchObject({
      classification: 'external',
      unknownInternalAddresses: [],
      journalMailboxAddressed: true,
    });
  });

  it('a journal mailbox listed in the directory never makes a message internal, by address or alias', () => {
    const directory = new DirectoryIndex({
      domains: [{ domain: 'contoso.com' }],
      addresses: [{ address: 'journal@contoso.com', aliases: ['archive@contoso.com'] }, { address: 'bob@contoso.com' }],
    });
    const message = report('ext@fabrikam.com', [
      { address: 'ARCHIVE@contoso.com', type: 'bcc' },
      { address: 'journal@contoso.com', type: 'to' },
    ]);
    expect(classify(message, directory).internalMailboxes).toEqual(['journal@contoso.com']);
    expect(classify(message, directory, { journalMailbox: 'journal@contoso.com' })).toMatchObject({
      classification: 'external',
      internalMailboxes: [],
      journalMailboxAddressed: true,
    });
  });

  it('changes nothing for a message that does not involve the journal mailbox', () => {
    const withOption = classify(parse(sample('03')), contosoDirectory(), { journalMailbox: 'journal@contoso.com' });
    expect(withOption).toEqual({
      ...classify(parse(sample('03')), contosoDirectory()),
      journalMailboxAddressed: false,
    });
    expect(withOption.journalMailboxAddressed).toBe(false);
  });
});
