import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { isJournalwireError, type JournalwireError } from '#errors';
import { KafkaGateway, readTopicsToEnd } from '#kafka';
import { createLogger } from '#logger';
import { saslSslEnv, SCRATCH_TOPICS, testKafka } from '#test-support';

// The local stack's SASL_SSL listener (deploy/local/stack.sh): TLS with the test CA, SCRAM users.
describe('Kafka over SASL_SSL', () => {
  const lines: string[] = [];
  const logger = createLogger({
    service: 'sasl-test',
    level: 'debug',
    destination: new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    }),
  });
  const password = readFileSync(saslSslEnv().KAFKA_SASL_PASSWORD_FILE!, 'utf8').trim();
  const gateway = (env: Record<string, string>) => new KafkaGateway(testKafka('sasl-test', env), logger);

  it('produces and consumes back with SCRAM-SHA-512 over TLS', async () => {
    const kafka = gateway(saslSslEnv());
    await kafka.ensureTopics([{ name: SCRATCH_TOPICS.smoke, partitions: 1, config: {} }]);
    const key = randomUUID();
    const since = new Date(Date.now() - 1000);
    const producer = await kafka.createProducer();
    await producer.send([{ topic: SCRATCH_TOPICS.smoke, key, value: Buffer.from(`over sasl_ssl ${key}`) }]);
    await producer.disconnect();
    const seen: string[] = [];
    await readTopicsToEnd(
      kafka,
      [SCRATCH_TOPICS.smoke],
      (record) => {
        if (record.key?.toString() === key) seen.push(record.value!.toString());
      },
      { since },
    );
    expect(seen).toEqual([`over sasl_ssl ${key}`]);
  });

  it.each(['scram-sha-256', 'plain'] as const)('also logs in with %s', async (mechanism) => {
    await gateway(saslSslEnv({ mechanism })).ping();
  });

  it('names a refused login as an authentication error, without the password, instead of waiting', async () => {
    const wrong = `wrong-${randomUUID()}`;
    const failure = await gateway(saslSslEnv({ password: wrong }))
      .ping()
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(isJournalwireError(failure, 'authentication')).toBe(true);
    const { message, retryable } = failure as JournalwireError;
    expect(retryable).toBe(false);
    expect(message).toMatch(/Kafka at 127\.0\.0\.1:\d+ refused the SASL login as journalwire \(SCRAM-SHA-512\)/);
    for (const secret of [wrong, password]) {
      expect(message).not.toContain(secret);
      expect(lines.join('\n')).not.toContain(secret);
    }
  });

  it('refuses a broker whose certificate the configured CAs do not sign', async () => {
    const { KAFKA_SSL_CA_FILE: _unused, ...systemCas } = saslSslEnv();
    const failure = await gateway(systemCas)
      .ping()
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(isJournalwireError(failure, 'tls-untrusted')).toBe(true);
    expect((failure as Error).message).toMatch(
      /Kafka at 127\.0\.0\.1:\d+: TLS failed \([A-Z_]+\); check KAFKA_SSL_CA_FILE/,
    );
  });
});
