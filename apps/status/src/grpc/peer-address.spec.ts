import { describe, expect, it } from 'vitest';
import { peerAddress } from './status-grpc.controller.js';

describe('peerAddress', () => {
  it('keeps the address of a grpc-js peer string, without scheme and port', () => {
    expect(peerAddress('ipv4:127.0.0.1:50432')).toBe('127.0.0.1');
    expect(peerAddress('ipv6:[::1]:50432')).toBe('::1');
    expect(peerAddress('unix:/tmp/socket')).toBe('/tmp/socket');
    expect(peerAddress('')).toBe('unknown');
  });
});
