import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseEnvelopeText } from './envelope-grammar.js';
import { htmlToText } from './html-to-text.js';
import { normaliseEnvelopeAddress, parseAddressList } from '../headers/addresses.js';

const parse = (text: string) => parseEnvelopeText(text, 200_000);

describe('envelope grammar (docs §4.3-4.6)', () => {
  it('matches field names case-insensitively, in any order', () => {
    const { envelope, defects } = parse(
      'MESSAGE-ID: <a@b>\r\nbcc: x@y.example\r\nsubject: Hi\r\nSENDER: s@y.example\r\n',
    );
    expect(envelope).toMatchObject({
      sender: 's@y.example',
      subject: 'Hi',
      messageId: '<a@b>',
      recipients: [{ address: 'x@y.example', type: 'bcc' }],
    });
    expect(defects.size).toBe(0);
  });

  it('accepts CRLF, LF and CR line endings and ignores empty lines', () => {
    const { envelope } = parse('Sender: s@x\r\n\r\nSubject: S\nMessage-Id: <m@x>\rTo: a@x\r\n\n');
    expect(envelope).toMatchObject({
      sender: 's@x',
      subject: 'S',
      messageId: '<m@x>',
      recipients: [{ address: 'a@x', type: 'to' }],
    });
  });

  it('reads Expanded and Forwarded qualifiers in any case', () => {
    const { envelope, defects } = parse(
      'To: m@x, EXPANDED: dl@x\nCc: fwd@x,forwarded:u@x\nBcc: b@x ,  Expanded :  g@x\n',
    );
    expect(envelope.recipients).toEqual([
      { address: 'm@x', type: 'to', via: 'expanded', viaAddress: 'dl@x' },
      { address: 'fwd@x', type: 'cc', via: 'forwarded', viaAddress: 'u@x' },
      { address: 'b@x', type: 'bcc', via: 'expanded', viaAddress: 'g@x' },
    ]);
    expect(defects.size).toBe(0);
  });

  it('keeps an unknown qualifier raw and flags it', () => {
    const { envelope, defects } = parse('Recipient: a@x, Redirected: old@x\n');
    expect(envelope.recipients).toEqual([{ address: 'a@x', type: 'recipient', qualifier: 'Redirected: old@x' }]);
    expect([...defects]).toEqual(['unknown-qualifier']);
  });

  it('does not take a comma inside a display name for a qualifier', () => {
    const { envelope, defects } = parse('To: "Last, First" <first.last@x>\n');
    expect(envelope.recipients).toEqual([{ address: 'first.last@x', type: 'to' }]);
    expect(defects.size).toBe(0);
  });

  it('unfolds continuation lines and flags them', () => {
    const { envelope, defects } = parse('Sender: s@x\nTo: a@x,\n\tExpanded: g@x\nSubject: a long\n  subject\n');
    expect(envelope.recipients).toEqual([{ address: 'a@x', type: 'to', via: 'expanded', viaAddress: 'g@x' }]);
    expect(envelope.subject).toBe('a long  subject');
    expect([...defects]).toEqual(['folded-line']);
  });

  it('keeps the first of a repeated single field and flags it', () => {
    const { envelope, defects } = parse('Sender: a@x\nSender: b@x\nSubject: one\nSubject: two\n');
    expect(envelope).toMatchObject({ sender: 'a@x', subject: 'one' });
    expect([...defects]).toEqual(['duplicate-field']);
  });

  it('keeps optional fields in extraFields, and unknown fields flagged', () => {
    const { envelope, defects } = parse(
      'label: L1\nMailbox: mbx\nSentUtc: 2020-01-01 10:00\nReceivedUtc: x\nX-Other: y\nnot a field line\n',
    );
    expect(envelope.extraFields).toEqual({
      Label: 'L1',
      Mailbox: 'mbx',
      SentUtc: '2020-01-01 10:00',
      ReceivedUtc: 'x',
      'X-Other': 'y',
    });
    expect([...defects]).toEqual(['unknown-field']);
  });

  it('strips <>, display names and SMTP: prefixes; lower-cases; keeps DN forms opaque', () => {
    const { envelope } = parse(
      'To: <A@X.example>\nTo: "Al" <SMTP:al@x>\nTo: smtp:b@X\nCc: EX:/O=Contoso/OU=First Administrative Group/cn=Recipients/cn=carol\n',
    );
    expect(envelope.recipients.map((r) => r.address)).toEqual([
      'a@x.example',
      'al@x',
      'b@x',
      'ex:/o=contoso/ou=first administrative group/cn=recipients/cn=carol',
    ]);
  });

  it('keeps each distinct (address, type, via, viaAddress) once', () => {
    const { envelope } = parse('To: a@x\nTO: A@x\nCc: a@x\nTo: a@x, Expanded: g@x\nTo: a@x, Expanded: g@x\n');
    expect(envelope.recipients).toEqual([
      { address: 'a@x', type: 'to' },
      { address: 'a@x', type: 'cc' },
      { address: 'a@x', type: 'to', via: 'expanded', viaAddress: 'g@x' },
    ]);
  });

  it('reads the Exchange 2003 Recipients: list over indented and unindented lines', () => {
    const text = [
      'Sender: old@contoso.com',
      'Subject: 2003 style',
      'Message-ID: <m2003@contoso.com>',
      'Recipients: "Alice" <SMTP:alice@contoso.com>, "Bob, B." <SMTP:bob@contoso.com>,',
      '\t"Carol" <EX:/o=Contoso/cn=carol>,',
      '"Dan" <SMTP:dan@fabrikam.com>',
      '',
    ].join('\r\n');
    const { envelope, defects } = parse(text);
    expect(envelope.format).toBe('exchange-2003');
    expect(envelope.recipients).toEqual([
      { address: 'alice@contoso.com', type: 'recipient' },
      { address: 'bob@contoso.com', type: 'recipient' },
      { address: 'ex:/o=contoso/cn=carol', type: 'recipient' },
      { address: 'dan@fabrikam.com', type: 'recipient' },
    ]);
    expect([...defects]).toEqual(['folded-line']);
  });

  it('flags limit-exceeded beyond the line limit and keeps what parsed', () => {
    const lines = [
      'Sender: s@x',
      'Subject: s',
      'Message-ID: <m@x>',
      ...Array.from({ length: 50 }, (_, i) => `To: r${i}@x`),
    ];
    const { envelope, defects } = parseEnvelopeText(lines.join('\n'), 10);
    expect(envelope.recipients).toHaveLength(7);
    expect([...defects]).toEqual(['limit-exceeded']);
  });
});

describe('addresses', () => {
  it('parses RFC 5322 lists, ignoring display names that look like addresses', () => {
    expect(
      parseAddressList('Sales Team <sales@contoso.com>, "customer@fabrikam.com"\r\n\t<customer@fabrikam.com>'),
    ).toEqual(['sales@contoso.com', 'customer@fabrikam.com']);
    expect(
      parseAddressList(
        '"a@evil.example" <real@x>, plain@Y (comment, with comma), Group: g1@x, g2@x;, undisclosed-recipients:;',
      ),
    ).toEqual(['real@x', 'plain@y', 'g1@x', 'g2@x']);
    expect(parseAddressList('<>')).toEqual([]);
  });

  it('extracts every address of a generated list, with or without display names (property)', () => {
    const address = fc
      .tuple(fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,8}$/), fc.constantFrom('contoso.com', 'Fabrikam.DE'))
      .map(([l, d]) => `${l}@${d}`);
    const item = fc
      .tuple(address, fc.constantFrom('bare', 'angle', 'named', 'quoted', 'quoted-comma', 'comment'))
      .map(([addr, form]) => {
        const text = {
          bare: addr,
          angle: `<${addr}>`,
          named: `Some Name <${addr}>`,
          quoted: `"${addr}" <${addr}>`,
          'quoted-comma': `"Last, First" <${addr}>`,
          comment: `${addr} (x, y)`,
        }[form];
        return { addr: addr.toLowerCase(), text };
      });
    fc.assert(
      fc.property(
        fc.array(item, { minLength: 1, maxLength: 8 }),
        fc.constantFrom(', ', ',\r\n\t', ','),
        (items, separator) => {
          expect(parseAddressList(items.map((i) => i.text).join(separator))).toEqual([
            ...new Set(items.map((i) => i.addr)),
          ]);
        },
      ),
    );
  });

  it('normalises envelope addresses', () => {
    expect(normaliseEnvelopeAddress('  "Yara Young" <yara@fabrikam.com> ')).toBe('yara@fabrikam.com');
    expect(normaliseEnvelopeAddress('Yara yara@fabrikam.com')).toBe('yara@fabrikam.com');
    expect(normaliseEnvelopeAddress('')).toBeNull();
  });
});

describe('HTML envelope', () => {
  it('strips markup and decodes entities', () => {
    expect(
      htmlToText(
        '<html><head><style>p{}</style></head><body><p>Sender: a@x</p>To: &lt;b@x&gt;<br>Subject: caf&#233; &amp; co</body></html>',
      )
        .split('\n')
        .filter(Boolean),
    ).toEqual(['Sender: a@x', 'To: <b@x>', 'Subject: café & co']);
  });
});
