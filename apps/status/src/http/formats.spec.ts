import { describe, expect, it } from 'vitest';
import { isHost } from './formats.js';

describe('isHost', () => {
  it('accepts host names and IP addresses', () => {
    for (const host of [
      'mail.contoso.com',
      'localhost',
      'exch-01.corp.contoso.com.',
      '192.0.2.1',
      '2001:db8::1',
      'xn--bcher-kva.example',
    ])
      expect(isHost(host), host).toBe(true);
  });
  it('refuses anything else', () => {
    for (const host of [
      '',
      'mail_server',
      'a..b',
      '-bad.com',
      '300.1.1.1',
      'mail.contoso.com:995',
      'http://mail',
      'a b',
      'x'.repeat(64) + '.com',
    ])
      expect(isHost(host), host).toBe(false);
  });
});
