import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dotStuff } from '../../../test/support/pop3-scripted-server.js';
import { MultilineDecoder } from './multiline-decoder.js';

/** Feeds the chunks to a fresh decoder; returns the decoded body and what followed the terminator. */
function decodeChunks(chunks: Buffer[]): { body: Buffer; rest: Buffer; ended: boolean } {
  const pieces: Buffer[] = [];
  const decoder = new MultilineDecoder((source, start, end) => pieces.push(Buffer.from(source.subarray(start, end))));
  for (const [index, chunk] of chunks.entries()) {
    const end = decoder.decode(chunk);
    if (end !== -1) {
      return {
        body: Buffer.concat(pieces),
        rest: Buffer.concat([chunk.subarray(end), ...chunks.slice(index + 1)]),
        ended: true,
      };
    }
  }
  return { body: Buffer.concat(pieces), rest: Buffer.alloc(0), ended: false };
}

function splitAt(data: Buffer, offsets: number[]): Buffer[] {
  const sorted = [...new Set(offsets)].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const offset of sorted) {
    chunks.push(data.subarray(from, offset));
    from = offset;
  }
  chunks.push(data.subarray(from));
  return chunks;
}

const NEXT_RESPONSE = Buffer.from('+OK next\r\n');
const latin1 = (text: string): Buffer => Buffer.from(text, 'latin1');

describe('MultilineDecoder', () => {
  it('decodes a simple body and keeps its final CRLF', () => {
    const { body, rest, ended } = decodeChunks([latin1('Subject: x\r\n\r\nhello\r\n.\r\n+OK next\r\n')]);
    expect(ended).toBe(true);
    expect(body.toString('latin1')).toBe('Subject: x\r\n\r\nhello\r\n');
    expect(rest).toEqual(NEXT_RESPONSE);
  });

  it('decodes an empty body', () => {
    expect(decodeChunks([latin1('.\r\n')])).toEqual({ body: Buffer.alloc(0), rest: Buffer.alloc(0), ended: true });
  });

  it('removes the stuffed dot of dot-leading lines, including a first line and a lone "." line', () => {
    const wire = latin1('..first\r\nbody\r\n..\r\n...two dots\r\n..\r\nend\r\n.\r\n');
    expect(decodeChunks([wire]).body.toString('latin1')).toBe('.first\r\nbody\r\n.\r\n..two dots\r\n.\r\nend\r\n');
  });

  it('keeps dots that are not at a line start, and bare CR / LF inside lines', () => {
    const message = latin1('a.b\r\n x.\r\nbare\nline\r.dot\r\ntrailing .\r\n');
    expect(decodeChunks([dotStuff(message)]).body).toEqual(message);
  });

  it('passes 8-bit bytes through untouched', () => {
    const message = Buffer.concat([
      latin1('Subject: caf\xe9\r\n\r\n'),
      Buffer.from(Array.from({ length: 256 }, (_, i) => i).filter((b) => b !== 13 && b !== 10)),
      latin1('\r\n'),
    ]);
    expect(decodeChunks([dotStuff(message)]).body).toEqual(message);
  });

  it('strips the leading dot of a non-compliant ".x" line as RFC 1939 says, and of a ".\\r" line', () => {
    expect(decodeChunks([latin1('.x\r\n.\rz\r\n.\r\n')]).body.toString('latin1')).toBe('x\r\n\rz\r\n');
  });

  it('waits for more data while the terminator is incomplete', () => {
    for (const partial of ['body\r\n', 'body\r\n.', 'body\r\n.\r', 'body\r']) {
      expect(decodeChunks([latin1(partial)]).ended).toBe(false);
    }
  });

  // Stuffed lines, a lone "." line, CR CR LF, a bare LF before a dot, a non-compliant ".\r" line, 8-bit bytes.
  const tricky = latin1('..a\r\n..\r\nx\r\r\n..\r\n...\r\nbare\n.b\r\n.\rz\r\n\r\n\xff\xfe\r\n');
  const wire = Buffer.concat([tricky, latin1('.\r\n'), NEXT_RESPONSE]);
  const expected = latin1('.a\r\n.\r\nx\r\r\n.\r\n..\r\nbare\n.b\r\n\rz\r\n\r\n\xff\xfe\r\n');

  it('finds the terminator split at every byte offset (two chunks)', () => {
    for (let offset = 0; offset <= wire.length; offset += 1) {
      const { body, rest, ended } = decodeChunks(splitAt(wire, [offset]));
      expect({ offset, ended, body: body.toString('latin1'), rest: rest.toString('latin1') }).toEqual({
        offset,
        ended: true,
        body: expected.toString('latin1'),
        rest: NEXT_RESPONSE.toString('latin1'),
      });
    }
  });

  it('finds line-leading dots after many other dots (the "\\n." search), at every split offset', () => {
    const message = latin1(
      '1.2.3.4.5.6.7\n.bare\r\na.b.c.d.e.f.g.h\r\n.x\n.y\r\n1.2.3.4.5.6\r\n..\r\n.\r\nwww.example.com...\r\n.z\r\n',
    );
    const dense = Buffer.concat([dotStuff(message), NEXT_RESPONSE]);
    for (let offset = 0; offset <= dense.length; offset += 1) {
      const { body, rest } = decodeChunks(splitAt(dense, [offset]));
      expect({ offset, body: body.toString('latin1'), rest: rest.toString('latin1') }).toEqual({
        offset,
        body: message.toString('latin1'),
        rest: NEXT_RESPONSE.toString('latin1'),
      });
    }
  });

  it('decodes the data fed one byte at a time', () => {
    const { body, rest } = decodeChunks(Array.from(wire, (byte) => Buffer.from([byte])));
    expect(body).toEqual(expected);
    expect(rest).toEqual(NEXT_RESPONSE);
  });

  it('decodes from a start offset inside the chunk', () => {
    const chunk = Buffer.concat([latin1('+OK 3 octets\r\n'), latin1('..\r\n.\r\n')]);
    const pieces: Buffer[] = [];
    const end = new MultilineDecoder((source, from, to) => pieces.push(source.subarray(from, to))).decode(chunk, 14);
    expect(end).toBe(chunk.length);
    expect(Buffer.concat(pieces).toString('latin1')).toBe('.\r\n');
  });

  it('property: any CRLF-line message, dot-stuffed and chunked anywhere, decodes back exactly', () => {
    const lineBytes = fc.oneof(
      { weight: 3, arbitrary: fc.uint8Array({ maxLength: 40 }) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          ...['.', '..', '.\r', '.x', '\r', '\n', '.\n', ''].map((s) => new Uint8Array(latin1(s))),
        ),
      },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 10 }).map((bytes) => new Uint8Array([0x2e, ...bytes])) },
    );
    const message = fc
      .array(lineBytes, { maxLength: 30 })
      // A line's bytes never contain CRLF: that would make it two lines.
      .map((lines) =>
        Buffer.from(
          lines.map((line) => Buffer.from(line).toString('latin1').replaceAll('\r\n', '\r_') + '\r\n').join(''),
          'latin1',
        ),
      );
    fc.assert(
      fc.property(message, fc.array(fc.nat(), { maxLength: 8 }), (body, cuts) => {
        const data = Buffer.concat([dotStuff(body), NEXT_RESPONSE]);
        const result = decodeChunks(
          splitAt(
            data,
            cuts.map((cut) => cut % (data.length + 1)),
          ),
        );
        expect(result.ended).toBe(true);
        expect(result.body).toEqual(body);
        expect(result.rest).toEqual(NEXT_RESPONSE);
      }),
      { numRuns: 2000 },
    );
  });
});
