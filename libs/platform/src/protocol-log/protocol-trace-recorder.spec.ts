import { describe, expect, it } from 'vitest';
import { ProtocolTraceRecorder } from './protocol-trace-recorder.js';

const secrets = { username: 'CONTOSO\\journal\\journal', password: 'S3cret!pw' };
const plainPayload = Buffer.from(`\0${secrets.username}\0${secrets.password}`).toString('base64');
const passwordBase64 = Buffer.from(secrets.password).toString('base64');

describe('ProtocolTraceRecorder', () => {
  it('keeps command and status lines in order with their direction', () => {
    const recorder = new ProtocolTraceRecorder('session', secrets);
    recorder.record('server', '+OK Microsoft Exchange Server POP3 service ready');
    recorder.record('client', 'STAT');
    recorder.record('server', '+OK 3 4096');
    const entry = recorder.finish('completed', null);
    expect(entry).toMatchObject({ kind: 'session', outcome: 'completed', error: null, omittedLines: 0 });
    expect(entry.lines.map((l) => `${l.direction} ${l.line}`)).toEqual([
      'server +OK Microsoft Exchange Server POP3 service ready',
      'client STAT',
      'server +OK 3 4096',
    ]);
    expect(entry.lines.every((l) => typeof l.ms === 'number' && l.ms >= 0)).toBe(true);
  });

  it('redacts PASS and AUTH even when the caller did not, and secrets echoed by the server', () => {
    const recorder = new ProtocolTraceRecorder('test-extraction', secrets);
    recorder.record('client', `PASS ${secrets.password}`);
    recorder.record('client', `AUTH PLAIN ${plainPayload}`);
    recorder.record('client', plainPayload);
    recorder.record('server', `-ERR unknown command ${plainPayload}`);
    recorder.record('server', `-ERR bad password ${secrets.password} (${passwordBase64})`);
    const entry = recorder.finish('failed', { code: 'authentication', message: `rejected ${secrets.password}` });
    const text = JSON.stringify(entry);
    expect(text).not.toContain(secrets.password);
    expect(text).not.toContain(plainPayload);
    expect(text).not.toContain(passwordBase64);
    expect(entry.lines.map((l) => l.line)).toEqual([
      'PASS [redacted]',
      'AUTH PLAIN [redacted]',
      '[redacted]',
      '-ERR unknown command [redacted]',
      '-ERR bad password [redacted] ([redacted])',
    ]);
    expect(entry.error).toEqual({ code: 'authentication', message: 'rejected [redacted]' });
  });

  it('keeps the user name (the login format is what an administrator must check)', () => {
    const recorder = new ProtocolTraceRecorder('session', secrets);
    recorder.record('client', `USER ${secrets.username}`);
    expect(recorder.finish('completed', null).lines[0]?.line).toBe('USER CONTOSO\\journal\\journal');
  });

  it('bounds a long session: the first and last lines stay, the middle is counted', () => {
    const recorder = new ProtocolTraceRecorder('session', secrets, { bytesPerSession: 4096, lineChars: 512 });
    for (let i = 0; i < 10_000; i++) recorder.record('client', `RETR ${i}`);
    const entry = recorder.finish('completed', null);
    const bytes = entry.lines.reduce((sum, l) => sum + l.line.length + 32, 0);
    expect(bytes).toBeLessThanOrEqual(4096);
    expect(entry.lines[0]?.line).toBe('RETR 0');
    expect(entry.lines.at(-1)?.line).toBe('RETR 9999');
    expect(entry.lines.length + entry.omittedLines).toBe(10_000);
  });

  it('cuts an overlong server line', () => {
    const recorder = new ProtocolTraceRecorder('session', secrets, { bytesPerSession: 32_768, lineChars: 100 });
    recorder.record('server', `+OK ${'x'.repeat(1_000_000)}`);
    const line = recorder.finish('completed', null).lines[0]?.line ?? '';
    expect(line.length).toBeLessThan(200);
    expect(line).toMatch(/… \[999904 more characters\]$/);
  });
});
