import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  decodeProgressHeaders,
  PROGRESS_HEADERS,
  TOPICS,
  type ConnectorStatusView,
  type ConservationReport,
  type ProgressRecord,
} from '#contracts';
import {
  headersToStrings,
  KafkaGateway,
  readConnectorRecords,
  readTopicsToEnd,
  reconcileConnector,
  type ConnectorRecords,
  type IncomingRecord,
} from '#kafka';
import { createLogger } from '#logger';
import { checkResponse } from './api-responses.js';
import { authPlainForms, filesChangedSince, secretsInFiles } from './fault-checks.js';
import { TEST_BLOB_DIR, testEnv, testKafka, TEST_CREDENTIAL_KEY } from './env.js';
import { startService, type RunningService, type ServiceName } from './service-process.js';
import { waitFor } from './polling.js';

const run = promisify(execFile);

export const SERVICE_NAMES: ServiceName[] = ['status', 'envelope', 'policy', 'poller'];

/** The four services as separate processes, sharing one blob directory and the test database. */
export class Pipeline {
  readonly services = new Map<ServiceName, RunningService>();
  /** Instances started beside `services` (`startInstance`). */
  readonly instances: RunningService[] = [];
  readonly blobDir: string;
  /** A little before this pipeline was made: topic readers skip what earlier runs left. */
  readonly since = new Date(Date.now() - 60_000);
  /** Connects as the services do: the stack's Kafka settings, overridden by `extraEnv`. */
  readonly kafka: KafkaGateway;
  token = '';
  /** Every log file a service of this pipeline wrote, restarts included. */
  readonly logFiles: string[] = [];
  /** Every mailbox credential this pipeline handed to a connector. */
  readonly credentials: Array<{ user: string; password: string }> = [];
  /** When this pipeline was made: test logs written since are its suite's (suites run one at a time). */
  private readonly createdAt = Date.now();

  constructor(private readonly extraEnv: Record<string, string> = {}) {
    this.kafka = new KafkaGateway(
      testKafka('journalwire-e2e', extraEnv),
      createLogger({ service: 'e2e', level: 'error' }),
    );
    mkdirSync(testEnv.runDir, { recursive: true });
    this.blobDir = TEST_BLOB_DIR;
    mkdirSync(this.blobDir, { recursive: true });
  }

  get env(): Record<string, string> {
    return { CREDENTIAL_KEY: TEST_CREDENTIAL_KEY, BLOB_DIR: this.blobDir, POLL_TICK_MS: '300', ...this.extraEnv };
  }

  /** Starts `names` (all four services by default), in that order. */
  async start(names: readonly ServiceName[] = SERVICE_NAMES): Promise<void> {
    const databaseUrl = this.extraEnv.DATABASE_URL ?? testEnv.databaseUrl;
    const { stdout } = await run(
      process.execPath,
      ['dist/scripts/token.js', 'create', `pipeline-${Date.now()}`, '--scope', 'admin'],
      {
        env: { ...process.env, DATABASE_URL: databaseUrl },
      },
    );
    this.token = (JSON.parse(stdout) as { token: string }).token;
    for (const name of names) await this.startOne(name);
  }

  async startOne(name: ServiceName): Promise<RunningService> {
    const instance = { INSTANCE_ID: `${name}-e2e`, POLLER_INSTANCE_ID: `poller-e2e` };
    const service = await startService(
      name,
      { ...this.env, ...instance },
      { onLogFile: (file) => this.logFiles.push(file) },
    );
    this.services.set(name, service);
    return service;
  }

  /**
   * Another instance of `name` beside the one `start` runs (scaling out), with its own
   * INSTANCE_ID, so its Kafka transactional id fences no one. Stopped with the rest.
   */
  async startInstance(name: ServiceName, instanceId: string): Promise<RunningService> {
    const service = await startService(
      name,
      { ...this.env, INSTANCE_ID: instanceId, POLLER_INSTANCE_ID: instanceId },
      { onLogFile: (file) => this.logFiles.push(file) },
    );
    this.instances.push(service);
    return service;
  }

  service(name: ServiceName): RunningService {
    const service = this.services.get(name);
    if (!service) throw new Error(`${name} is not running`);
    return service;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.services.values(), ...this.instances].map((s) => s.stop()));
    this.services.clear();
    this.instances.length = 0;
    // The shared admin client keeps its connections open: a script (the demo) would never exit.
    await this.kafka.closeAdmin();
    this.expectNoPasswordsInLogs();
  }

  /**
   * No log of this suite (its services, restarts included, and every test log written meanwhile)
   * holds a mailbox password it handed out, or that password's AUTH PLAIN form.
   */
  private expectNoPasswordsInLogs(): void {
    const secrets = this.credentials.flatMap(({ user, password }) => [password, ...authPlainForms(user, password)]);
    const logs = [
      ...new Set([...this.logFiles, ...filesChangedSince(join(testEnv.runDir, 'test-logs'), this.createdAt)]),
    ];
    const leaks = secretsInFiles(logs, secrets);
    if (leaks.length > 0)
      throw new Error(
        `a mailbox password or its AUTH PLAIN form is logged in ${[...new Set(leaks.map((leak) => leak.file))].join(', ')}`,
      );
  }

  async api<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.service('status').baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json: unknown = await response.json().catch(() => null);
    if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${JSON.stringify(json)}`);
    if (json !== null) checkResponse(method, path, json);
    return json as T;
  }

  /**
   * Creates a Dovecot mailbox, fills it, and registers a connector for it through the REST API
   * (`onDelivered` runs in between: a benchmark starts its clock there).
   */
  async connectorWithMailbox(
    files: Buffer[],
    settings: Record<string, unknown> = {},
    onDelivered: () => void = () => undefined,
  ): Promise<{ id: string; mailbox: string; password: string }> {
    const mailbox = `e2e-${Date.now()}-${Math.floor(Math.random() * 1e6)}@contoso.test`;
    const password = `pw-${Math.random().toString(36).slice(2)}`;
    await run('deploy/local/mailbox.sh', ['create', mailbox, password]);
    this.credentials.push({ user: mailbox, password });
    await deliver(mailbox, files);
    onDelivered();
    const connector = await this.api('POST', '/v1/connectors', {
      description: `e2e ${mailbox}`,
      transportType: 'pop3',
      serviceEmailAddress: 'journal@contoso.com',
      mailboxName: mailbox,
      password,
      host: testEnv.pop3Host,
      port: testEnv.pop3sPort,
      encrypted: true,
      encryptionMode: 'strict',
      journalType: 'envelope',
      pollIntervalSeconds: 5,
      maxMessagesPerSession: 10000,
      ...settings,
    });
    return { id: String(connector.id), mailbox, password };
  }

  async status(id: string): Promise<ConnectorStatusView> {
    return this.api<ConnectorStatusView>('GET', `/v1/connectors/${id}/status`);
  }

  /** Waits until the mailbox is empty and every extracted message has its outcome. */
  async waitUntilDrained(
    id: string,
    mailbox: string,
    expected: number,
    timeoutMs = 180_000,
  ): Promise<ConnectorStatusView> {
    const deadline = Date.now() + timeoutMs;
    let last: ConnectorStatusView | undefined;
    for (;;) {
      try {
        last = await this.status(id);
        if (
          last.counters.extracted >= expected &&
          last.processingQueue === 0 &&
          last.pop3MailboxQueue === 0 &&
          (await mailboxCount(mailbox)) === 0
        )
          return last;
      } catch {
        // the status service may be restarting
      }
      if (Date.now() > deadline)
        throw new Error(`connector ${id} did not drain in time; last status ${JSON.stringify(last)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /**
   * One connector's outcomes so far, each with the message its value carries (records written
   * before this pipeline existed are skipped).
   */
  async outcomes(connectorId: string, options: { raw?: boolean } = {}): Promise<ConnectorRecords> {
    return readConnectorRecords(this.kafka, connectorId, { since: this.since, messages: true, ...options });
  }

  /** One connector's journal.progress.v1 records so far (read committed), in no particular order. */
  async progress(connectorId: string): Promise<ProgressRecord[]> {
    const found: ProgressRecord[] = [];
    await readTopicsToEnd(
      this.kafka,
      [TOPICS.progress],
      (record) => {
        const headers = headersToStrings(record.headers);
        if (headers[PROGRESS_HEADERS.connectorId] === connectorId) found.push(decodeProgressHeaders(headers));
      },
      { since: this.since },
    );
    return found;
  }

  /** Polls the connector's outcomes every 500 ms until `accept` holds; fails after `timeoutMs` naming `what`. */
  async outcomesWhen(
    connectorId: string,
    what: string,
    accept: (outcomes: ConnectorRecords) => boolean,
    timeoutMs = 90_000,
  ): Promise<ConnectorRecords> {
    const counts = (o: ConnectorRecords | undefined) =>
      o ? `${o.archived.length} archived, ${o.rejected.length} rejected, ${o.dead.length} dead-lettered` : 'none';
    return waitFor(what, () => this.outcomes(connectorId), {
      until: accept,
      timeoutMs,
      everyMs: 500,
      describe: counts,
    });
  }

  /** Reconciles a connector created while this pipeline ran. */
  async reconcile(connectorId: string): Promise<ConservationReport> {
    return reconcileConnector(this.kafka, connectorId, { since: this.since });
  }

  /** Reads topics from this pipeline's start to their end. */
  async readTopics(topics: string[], onRecord: (record: IncomingRecord) => void): Promise<void> {
    await readTopicsToEnd(this.kafka, topics, onRecord, { since: this.since });
  }
}

export async function deliver(mailbox: string, files: Buffer[]): Promise<void> {
  if (files.length === 0) return;
  const dir = mkdtempSync(join(testEnv.runDir, 'deliver-'));
  try {
    const paths = files.map((bytes, i) => {
      const path = join(dir, `${String(i).padStart(6, '0')}.eml`);
      writeFileSync(path, bytes);
      return path;
    });
    for (let i = 0; i < paths.length; i += 500)
      await run('deploy/local/mailbox.sh', ['deliver', mailbox, ...paths.slice(i, i + 500)], {
        maxBuffer: 16 * 1024 * 1024,
      });
  } finally {
    // The mailbox has its own copies: a drain of 20,000 reports would otherwise leave 600 MB here.
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function mailboxCount(mailbox: string): Promise<number> {
  const { stdout } = await run('deploy/local/mailbox.sh', ['count', mailbox]);
  return Number(stdout.trim());
}
