import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isJournalwireError } from '#errors';
import { kafkaConnection, kafkaSection, loadConfig, type Env } from './index.js';

const connect = (env: Env) => kafkaConnection(loadConfig(z.object(kafkaSection), env), 'test-client');
const problemsOf = (env: Env): string => {
  try {
    connect(env);
  } catch (error) {
    expect(isJournalwireError(error, 'config-invalid')).toBe(true);
    return (error as Error).message;
  }
  throw new Error('expected a configuration error');
};

describe('kafkaConnection', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kafka-connection-'));
  const ca = join(dir, 'ca.pem');
  writeFileSync(ca, 'CA PEM');
  const passwordFile = join(dir, 'password');
  writeFileSync(passwordFile, 's3cret-from-file\n');

  it('is plaintext without SASL by default', () => {
    expect(connect({})).toEqual({ brokers: ['127.0.0.1:19092'], clientId: 'test-client' });
  });

  it('reads the CA and the password file for SCRAM-SHA-512 over TLS', () => {
    expect(
      connect({
        KAFKA_BROKERS: 'k1:9096,k2:9096',
        KAFKA_SSL: 'true',
        KAFKA_SSL_CA_FILE: ca,
        KAFKA_SASL_MECHANISM: 'scram-sha-512',
        KAFKA_SASL_USERNAME: 'journalwire',
        KAFKA_SASL_PASSWORD_FILE: passwordFile,
      }),
    ).toEqual({
      brokers: ['k1:9096', 'k2:9096'],
      clientId: 'test-client',
      tls: { ca: 'CA PEM' },
      sasl: { mechanism: 'scram-sha-512', username: 'journalwire', password: 's3cret-from-file' },
    });
  });

  it('uses the system CAs when TLS has no CA file', () => {
    expect(connect({ KAFKA_SSL: 'true' }).tls).toEqual({});
  });

  it('names every incomplete combination by variable, never the secret', () => {
    expect(problemsOf({ KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_PASSWORD: 'hunter2' })).toContain(
      'KAFKA_SASL_USERNAME: is required with KAFKA_SASL_MECHANISM',
    );
    expect(problemsOf({ KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_SASL_USERNAME: 'u' })).toContain(
      'KAFKA_SASL_PASSWORD: is required',
    );
    const both = problemsOf({
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'u',
      KAFKA_SASL_PASSWORD: 'hunter2',
      KAFKA_SASL_PASSWORD_FILE: passwordFile,
    });
    expect(both).toContain('set one, not both');
    expect(both).not.toContain('hunter2');
    expect(problemsOf({ KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'hunter2' })).toContain(
      'KAFKA_SASL_MECHANISM: set it',
    );
    expect(
      problemsOf({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'hunter2' }),
    ).toContain('KAFKA_SSL: must be true with KAFKA_SASL_MECHANISM=plain');
    expect(problemsOf({ KAFKA_SSL_CA_FILE: ca })).toContain('KAFKA_SSL: must be true');
    expect(problemsOf({ KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: ca })).toContain('set both or neither');
    expect(problemsOf({ KAFKA_SASL_MECHANISM: 'gssapi' })).toContain(
      'KAFKA_SASL_MECHANISM: expected none, scram-sha-512, scram-sha-256 or plain',
    );
  });

  it('names an unreadable file', () => {
    expect(problemsOf({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: join(dir, 'missing.pem') })).toMatch(
      /KAFKA_SSL_CA_FILE: cannot read .*missing\.pem \(ENOENT\)/,
    );
  });
});
