import { describe, expect, it } from 'vitest';
import { ResponseReader, type ResponseHandler } from './response-reader.js';
import { parseStatusLine, type StatusLine } from './status-line.js';

interface Recorded {
  status: StatusLine | null;
  body: Buffer | null;
}

function recorder(multiline: boolean, log: Recorded[]): ResponseHandler {
  const entry: Recorded = { status: null, body: null };
  log.push(entry);
  const pieces: Buffer[] = [];
  return {
    multiline,
    onStatus: (status) => {
      entry.status = status;
    },
    onBodyRange: (source, start, end) => pieces.push(Buffer.from(source.subarray(start, end))),
    onBodyEnd: () => {
      entry.body = Buffer.concat(pieces);
    },
  };
}

function setup(kinds: boolean[]): {
  reader: ResponseReader;
  log: Recorded[];
  violations: string[];
  completed: () => number;
} {
  const log: Recorded[] = [];
  const violations: string[] = [];
  let completed = 0;
  const reader = new ResponseReader({
    responseComplete: () => (completed += 1),
    protocolViolation: (reason) => violations.push(reason),
  });
  for (const multiline of kinds) reader.expect(recorder(multiline, log));
  return { reader, log, violations, completed: () => completed };
}

describe('parseStatusLine', () => {
  it('parses +OK, -ERR, response codes and continuations', () => {
    expect(parseStatusLine('+OK 2 320')).toEqual({ kind: 'ok', text: '2 320', responseCode: null, line: '+OK 2 320' });
    expect(parseStatusLine('+OK')).toMatchObject({ kind: 'ok', text: '' });
    expect(parseStatusLine('-ERR [IN-USE] locked')).toMatchObject({
      kind: 'err',
      text: 'locked',
      responseCode: 'IN-USE',
    });
    expect(parseStatusLine('-ERR [sys/temp] later')).toMatchObject({ kind: 'err', responseCode: 'SYS/TEMP' });
    expect(parseStatusLine('-ERR')).toMatchObject({ kind: 'err', text: '', responseCode: null });
    expect(parseStatusLine('+ ')).toMatchObject({ kind: 'continuation' });
    expect(parseStatusLine('+')).toMatchObject({ kind: 'continuation' });
    expect(parseStatusLine('+OKAY')).toBeNull();
    expect(parseStatusLine('* OK imap')).toBeNull();
  });
});

describe('ResponseReader', () => {
  const stream = Buffer.from(
    '+OK hi\r\n' + // greeting
      '+OK\r\nTOP\r\nPIPELINING\r\n.\r\n' + // CAPA
      '-ERR no such message\r\n' + // RETR 9 (no body follows an -ERR)
      '+OK 9 octets\r\n..a\r\n\xe9\r\n\r\n.\r\n' + // RETR 1
      '+OK 2 42\r\n', // STAT
    'latin1',
  );
  const kinds = [false, true, true, true, false];

  function check(log: Recorded[]): void {
    expect(log.map((entry) => entry.status?.line)).toEqual([
      '+OK hi',
      '+OK',
      '-ERR no such message',
      '+OK 9 octets',
      '+OK 2 42',
    ]);
    expect(log[1]?.body?.toString('latin1')).toBe('TOP\r\nPIPELINING\r\n');
    expect(log[2]?.body).toBeNull();
    expect(log[3]?.body?.toString('latin1')).toBe('.a\r\n\xe9\r\n\r\n');
  }

  it('matches pipelined responses arriving in one chunk to their commands', () => {
    const { reader, log, violations, completed } = setup(kinds);
    reader.push(stream);
    check(log);
    expect(violations).toEqual([]);
    expect(completed()).toBe(5);
    expect(reader.pendingCount).toBe(0);
  });

  it('gives the same result for every split offset, and byte by byte', () => {
    for (let offset = 0; offset <= stream.length; offset += 1) {
      const { reader, log, violations } = setup(kinds);
      reader.push(stream.subarray(0, offset));
      reader.push(stream.subarray(offset));
      check(log);
      expect(violations).toEqual([]);
    }
    const { reader, log } = setup(kinds);
    for (const byte of stream) reader.push(Buffer.from([byte]));
    check(log);
  });

  it('accepts a status line ended by a bare LF', () => {
    const { reader, log } = setup([false]);
    reader.push(Buffer.from('+OK lenient\n'));
    expect(log[0]?.status?.text).toBe('lenient');
  });

  it('reports data that answers no command (e.g. injected after +OK to STLS)', () => {
    const { reader, violations } = setup([false]);
    reader.push(Buffer.from('+OK Begin TLS\r\n+OK injected\r\n'));
    expect(violations).toEqual(['the server sent data that answers no command']);
  });

  it('reports a line that is not a POP3 response', () => {
    const { reader, violations } = setup([false]);
    reader.push(Buffer.from('HTTP/1.1 400 Bad Request\r\n'));
    expect(violations[0]).toMatch(/unexpected response line "HTTP\/1.1 400 Bad Request"/);
  });

  it('refuses an endless status line', () => {
    const { reader, violations } = setup([false]);
    for (let i = 0; i < 100 && violations.length === 0; i += 1) reader.push(Buffer.alloc(1024, 0x41));
    expect(violations[0]).toMatch(/longer than/);
  });

  it('stops dispatching once stopped and returns the waiting handlers', () => {
    const { reader, log } = setup([false, false]);
    expect(reader.stop()).toHaveLength(2);
    reader.push(Buffer.from('+OK\r\n'));
    expect(log[0]?.status).toBeNull();
  });
});
