import { describe, expect, it } from 'vitest';
import { freePort, startService, TEST_CREDENTIAL_KEY, type ServiceName } from '#test-support';

// Every app boots, answers its health and metrics endpoints, and stops cleanly on SIGTERM.
describe.each(['poller', 'envelope', 'policy', 'status'] as ServiceName[])('the %s service', (name) => {
  it('boots, is live and ready, exports metrics, and exits 0 on SIGTERM', async () => {
    const service = await startService(name, {
      CREDENTIAL_KEY: TEST_CREDENTIAL_KEY,
      INSTANCE_ID: `${name}-smoke`,
      // The poller must not touch other suites' connectors: give it none.
      POLLER_CONNECTOR_IDS: '00000000-0000-4000-8000-000000000000',
      GRPC_PORT: String(await freePort()),
      STATUS_CONSUMER_GROUP: `journalwire-status-smoke-${Date.now()}`,
    });
    try {
      const live = await fetch(`${service.baseUrl}/health/live`);
      expect(live.status).toBe(200);
      const ready = (await (await fetch(`${service.baseUrl}/health/ready`)).json()) as {
        status: string;
        details: Record<string, unknown>;
      };
      expect(ready.status).toBe('ok');
      expect(Object.keys(ready.details)).toEqual(
        expect.arrayContaining(
          name === 'envelope' || name === 'policy' ? ['postgresql', 'kafka'] : ['postgresql', 'kafka', 'redis'],
        ),
      );
      const metrics = await (await fetch(`${service.baseUrl}/metrics`)).text();
      expect(metrics).toContain('journalwire_process_');
      expect(metrics).toContain('journalwire_messages_archived_total');
    } finally {
      expect(await service.stop()).toBe(0);
    }
  });
});
