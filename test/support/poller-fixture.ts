import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, expect } from 'vitest';
import {
  connectorStatusRecordSchema,
  decodeProgressHeaders,
  decodeRecord,
  PROGRESS_HEADERS,
  RAW_HEADERS,
  rawId,
  TOPICS,
  type ConnectorStatusRecord,
} from '#contracts';
import { KafkaGateway } from '#kafka';
import { createLogger } from '#logger';
import { createDataSource, type ConnectorEntity } from '#persistence';
import { deleteConnectors, insertConnector, type TestConnectorInput } from './connectors.js';
import { testEnv, testKafka, TEST_CREDENTIAL_KEY } from './env.js';
import {
  generateMessages,
  mailbox,
  removeDir,
  scratchDir,
  TopicCollector,
  type CollectedRecord,
  type GeneratedMessage,
} from './poller-harness.js';
import { startService, type RunningService } from './service-process.js';

/** Everything a poller integration test needs, torn down by `close()`. */
export class PollerTestContext {
  readonly connectorIds = new Set<string>();
  readonly raw: TopicCollector;
  /** journal.progress.v1: one `extracted` record per raw record, in the same transaction. */
  readonly progress: TopicCollector;
  readonly status: TopicCollector;
  private readonly mailboxes: string[] = [];
  private readonly services: RunningService[] = [];
  private readonly dirs: string[] = [];

  private constructor(
    readonly dataSource: DataSource,
    readonly kafka: KafkaGateway,
  ) {
    this.raw = new TopicCollector(kafka, TOPICS.raw, this.connectorIds);
    this.progress = new TopicCollector(kafka, TOPICS.progress, this.connectorIds);
    this.status = new TopicCollector(kafka, TOPICS.status, this.connectorIds);
  }

  static async open(): Promise<PollerTestContext> {
    const dataSource = await createDataSource(testEnv.databaseUrl, { poolSize: 4 }).initialize();
    const kafka = new KafkaGateway(testKafka('poller-test'), createLogger({ service: 'poller-test', level: 'silent' }));
    const context = new PollerTestContext(dataSource, kafka);
    const since = Date.now() - 2000;
    await Promise.all([context.raw.start(since), context.progress.start(since), context.status.start(since)]);
    return context;
  }

  /** A fresh mailbox and a connector for it (unique names, so suites never collide). */
  async connectorWithMailbox(
    overrides: Partial<TestConnectorInput> = {},
  ): Promise<{ connector: ConnectorEntity; user: string; password: string }> {
    const user = `jwp-${randomUUID().slice(0, 12)}`;
    const password = `pw-${randomUUID()}`;
    await mailbox.create(user, password);
    this.mailboxes.push(user);
    const connector = await insertConnector(this.dataSource, { mailboxName: user, password, ...overrides });
    this.connectorIds.add(connector.id);
    return { connector, user, password };
  }

  /** A connector whose new mailbox holds `count` generated messages (their files under scratch dir `name`). */
  async connectorWithMessages(
    name: string,
    count: number,
    options: Parameters<typeof generateMessages>[2],
    overrides: Partial<TestConnectorInput> = {},
  ): Promise<{ connector: ConnectorEntity; user: string; password: string; messages: GeneratedMessage[] }> {
    const found = await this.connectorWithMailbox(overrides);
    const messages = await generateMessages(await this.scratch(name), count, options);
    await mailbox.deliver(
      found.user,
      messages.map((m) => m.file),
    );
    return { ...found, messages };
  }

  async scratch(name: string): Promise<string> {
    const dir = await scratchDir(name);
    this.dirs.push(dir);
    return dir;
  }

  /** Starts a poller process limited to this test's connectors. */
  async startPoller(
    env: Record<string, string> = {},
    connectorIds: string[] = [...this.connectorIds],
  ): Promise<RunningService> {
    const service = await startService('poller', {
      CREDENTIAL_KEY: TEST_CREDENTIAL_KEY,
      POLLER_CONNECTOR_IDS: connectorIds.join(','),
      POLL_TICK_MS: '200',
      LEASE_TTL_MS: '6000',
      // Gives up on Kafka sooner (and so settles interrupted publishes sooner) than the 30 s default.
      PUBLISH_TIMEOUT_MS: '5000',
      LOG_LEVEL: process.env.POLLER_TEST_LOG_LEVEL ?? 'info',
      ...env,
    });
    this.services.push(service);
    return service;
  }

  rawFor(connectorId: string): CollectedRecord[] {
    return this.raw.forConnector(connectorId);
  }

  progressFor(connectorId: string): CollectedRecord[] {
    return this.progress.forConnector(connectorId);
  }

  /**
   * Checks that every raw record of the connector has exactly one progress record (event
   * `extracted`, same key, empty value) and there is none without its raw record.
   */
  expectOneProgressPerRaw(connectorId: string): void {
    const raw = this.rawFor(connectorId);
    const progress = this.progressFor(connectorId);
    const expected = raw.map((r) => ({ key: r.key, rawId: rawId(connectorId, r.headers[RAW_HEADERS.sha256]!) }));
    const found = progress.map((p) => ({
      key: p.key,
      rawId: decodeProgressHeaders(p.headers).rawId,
      event: p.headers[PROGRESS_HEADERS.event],
      empty: p.value === null || p.value.length === 0,
    }));
    expect(found.every((p) => p.event === 'extracted' && p.empty)).toBe(true);
    const byRawId = (list: Array<{ rawId: string; key: string | null }>) =>
      list.map(({ rawId: id, key }) => `${id} ${key}`).sort();
    expect(byRawId(found)).toEqual(byRawId(expected));
  }

  statusFor(connectorId: string): ConnectorStatusRecord[] {
    return this.status.forConnector(connectorId).map((r) => decodeRecord(connectorStatusRecordSchema, r.value));
  }

  async ledgerRows(connectorId: string): Promise<Array<{ uidl: string; sha256: string; deleted_at: Date | null }>> {
    return this.dataSource.query('SELECT uidl, sha256, deleted_at FROM extraction_ledger WHERE connector_id = $1', [
      connectorId,
    ]);
  }

  async close(): Promise<void> {
    await Promise.all(this.services.map((s) => s.stop(15_000).catch(() => undefined)));
    await Promise.all([this.raw.stop(), this.progress.stop(), this.status.stop()]);
    await deleteConnectors(this.dataSource, [...this.connectorIds]).catch(() => undefined);
    for (const user of this.mailboxes) await mailbox.delete(user);
    for (const dir of this.dirs) await removeDir(dir);
    await this.dataSource.destroy();
  }
}

/** sha256 → how many records carry it, and uidl → how many. */
export function countBy(records: CollectedRecord[], header: 'jw-sha256' | 'jw-uidl'): Map<string, number> {
  const counts = new Map<string, number>();
  for (const record of records) {
    const value = record.headers[header] ?? '';
    counts.set(value, (counts.get(value) ?? 0) + 1);
  }
  return counts;
}

/**
 * A suite's PollerTestContext: opened before its tests and closed after them (call inside
 * describe(); tests read `suite.ctx`).
 */
export function pollerSuite(): { ctx: PollerTestContext } {
  const suite = {} as { ctx: PollerTestContext };
  beforeAll(async () => {
    suite.ctx = await PollerTestContext.open();
  });
  afterAll(async () => {
    await suite.ctx?.close();
  });
  return suite;
}
