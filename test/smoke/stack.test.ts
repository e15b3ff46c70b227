import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { TOPICS } from '#contracts';
import { KafkaGateway, type GroupConsumer } from '#kafka';
import { createLogger } from '#logger';
import { createDataSource, MIGRATIONS } from '#persistence';
import { SCRATCH_TOPICS, testEnv, testKafka } from '#test-support';

const logger = createLogger({ service: 'smoke', level: 'warn' });

describe('the local stack is real', () => {
  const kafka = new KafkaGateway(testKafka('smoke'), logger);

  it('Kafka: a record produced with acks=all is consumed back byte for byte', async () => {
    await kafka.ensureTopics([{ name: SCRATCH_TOPICS.smoke, partitions: 1, config: {} }]);
    const key = randomUUID();
    const value = Buffer.from([0x00, 0xff, 0x2e, 0x0d, 0x0a, 0xe9]);
    const producer = await kafka.createProducer();
    await producer.send([{ topic: SCRATCH_TOPICS.smoke, key, value, headers: { smoke: key } }]);
    await producer.disconnect();

    let consumer: GroupConsumer | undefined;
    const received = await new Promise<Buffer | null>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('record not consumed within 30 s')), 30_000);
      consumer = kafka.createGroupConsumer({
        groupId: `smoke-${key}`,
        topics: [SCRATCH_TOPICS.smoke],
        eachBatch: async ({ records }) => {
          const record = records.find((r) => r.key?.toString() === key);
          if (record) {
            clearTimeout(timer);
            resolve(record.value);
          }
        },
      });
      consumer.start().catch(reject);
    });
    await consumer?.stop();
    expect(received).toEqual(value);
  });

  it('Kafka: topics exist and auto-creation is off', async () => {
    const topics = await kafka.listTopics();
    expect(topics).toEqual(expect.arrayContaining(Object.values(TOPICS)));
    // The broker's own setting, asked directly: a produce to a missing topic would only tell after
    // the client's retries (15 s of "does not host this topic-partition" errors).
    const settings = await kafka.brokerSetting('auto.create.topics.enable');
    expect(settings.length).toBeGreaterThan(0);
    for (const { value } of settings) expect(value).toBe('false');
    await kafka.closeAdmin();
  });

  it('Redis: a round trip', async () => {
    const redis = new Redis(testEnv.redisUrl);
    const key = `smoke:${randomUUID()}`;
    await redis.set(key, 'ok', 'EX', 10);
    expect(await redis.get(key)).toBe('ok');
    await redis.quit();
  });

  it('PostgreSQL: every migration is applied', async () => {
    const dataSource = await createDataSource(testEnv.databaseUrl, { poolSize: 1 }).initialize();
    try {
      // By name: a database migrated while branches landed applied them in landing order.
      const rows: Array<{ name: string }> = await dataSource.query('SELECT name FROM migrations ORDER BY name');
      expect(rows.map((r) => r.name)).toEqual(MIGRATIONS.map((m) => new m().name).sort());
      expect(await dataSource.showMigrations()).toBe(false);
    } finally {
      await dataSource.destroy();
    }
  });

  it('Dovecot: POP3S login with strict certificate checking against the test CA', async () => {
    const socket = tlsConnect({
      host: testEnv.pop3Host,
      port: testEnv.pop3sPort,
      ca: readFileSync(testEnv.pop3CaFile),
      servername: 'localhost',
      minVersion: 'TLSv1.2',
    });
    await once(socket, 'secureConnect');
    expect(socket.authorized).toBe(true);
    expect(await readLine(socket)).toMatch(/^\+OK/);
    socket.end('QUIT\r\n');
  });

  it('Dovecot: STLS upgrades the plain port', async () => {
    const plain = tcpConnect({ host: testEnv.pop3Host, port: testEnv.pop3Port });
    expect(await readLine(plain)).toMatch(/^\+OK/);
    plain.write('CAPA\r\n');
    const capabilities = await readUntil(plain, /\r\n\.\r\n$/);
    expect(capabilities).toMatch(/^STLS\r$/m);
    plain.write('STLS\r\n');
    expect(await readLine(plain)).toMatch(/^\+OK/);
    const secured = tlsConnect({
      socket: plain,
      ca: readFileSync(testEnv.pop3CaFile),
      servername: 'localhost',
      minVersion: 'TLSv1.2',
    });
    await once(secured, 'secureConnect');
    expect(secured.authorized).toBe(true);
    secured.write('CAPA\r\n');
    const securedCapabilities = await readUntil(secured, /\r\n\.\r\n$/);
    expect(securedCapabilities).toMatch(/^\+OK/);
    expect(securedCapabilities).not.toMatch(/^STLS\r$/m);
    secured.end('QUIT\r\n');
  });

  afterAll(() => logger.flush());
});

function once(socket: Socket | TLSSocket, event: string): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once(event, () => resolve());
    socket.once('error', reject);
  });
}

function readUntil(socket: Socket, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (pattern.test(text)) {
        socket.off('data', onData);
        resolve(text);
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

function readLine(socket: Socket): Promise<string> {
  return readUntil(socket, /\r\n$/);
}
