import { afterAll, describe, expect, it, vi } from 'vitest';
import { consumerLag, KafkaGateway } from '#kafka';
import { createLogger } from '#logger';
import { testKafka } from '#test-support';

describe('kafka: one admin connection for readiness and lag', () => {
  const gateway = new KafkaGateway(
    testKafka('shared-admin-test'),
    createLogger({ service: 'shared-admin-test', level: 'silent' }),
  );

  afterAll(async () => {
    await gateway.closeAdmin();
  });

  it('answers many /health/ready pings and /metrics lag reads over a single admin connection', async () => {
    const admins = vi.spyOn(gateway, 'openAdmin');
    await Promise.all(Array.from({ length: 5 }, () => gateway.ping()));
    for (let i = 0; i < 10; i++) await gateway.ping();
    for (let i = 0; i < 3; i++) {
      const lag = await consumerLag(gateway, 'shared-admin-test-no-such-group', ['journal.raw.v2']);
      expect(lag.every((entry) => entry.lag >= 0)).toBe(true);
    }
    expect(admins).toHaveBeenCalledTimes(1);

    // After a failure the connection is dropped and the next call connects again.
    await expect(gateway.withAdmin(() => Promise.reject(new Error('broken request')))).rejects.toThrow(
      'broken request',
    );
    await gateway.ping();
    expect(admins).toHaveBeenCalledTimes(2);

    await gateway.closeAdmin();
    await gateway.ping();
    expect(admins).toHaveBeenCalledTimes(3);
  });
});
