import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { In, type DataSource } from 'typeorm';
import { FileSystemBlobStore } from '#blob-store';
import { JournalwireError } from '#errors';
import type { KafkaGateway } from '#kafka';
import type { Logger } from '#logger';
import { ProtocolLogStore, type PipelineMetrics } from '#platform';
import { ConnectorEntity, CredentialCipher, pop3OptionsFor } from '#persistence';
import { Pop3Client } from '#pop3';
import type { PollerConfig } from './config.js';
import type { SessionDeps } from './extraction-session.js';
import { RedisInFlightStore } from './in-flight.js';
import { KafkaInFlightScanner } from './in-flight-settlement.js';
import { LeaseManager } from './lease.js';
import { ExtractionLedger, RetrievalFailures } from './ledger.js';
import { TransactionalRawPublisher } from './raw-publisher.js';
import { ScheduleStore } from './schedule-store.js';
import { Scheduler } from './scheduler.js';
import { SessionRunner } from './session-runner.js';
import { SessionTraces } from './session-traces.js';
import { ProducerSlot } from './producer-slot.js';
import { StatusReporter } from './status-reporter.js';

export interface PollerRuntime {
  scheduler: Scheduler;
  /** Non-secret settings, logged at start-up. */
  summary: Record<string, unknown>;
  close(): Promise<void>;
}

export interface PollerClients {
  dataSource: DataSource;
  kafka: KafkaGateway;
  redis: Redis;
}

/** Builds the poller's object graph from its configuration and I/O clients. */
export function createPollerRuntime(
  config: PollerConfig,
  clients: PollerClients,
  logger: Logger,
  metrics?: PipelineMetrics,
): PollerRuntime {
  const { dataSource, kafka, redis } = clients;
  const cipher = new CredentialCipher(config.CREDENTIAL_KEY, config.CREDENTIAL_KEYS_PREVIOUS);
  const caBundle = config.POP3_CA_FILE ? readCaBundle(config.POP3_CA_FILE) : undefined;
  const connectors = dataSource.getRepository(ConnectorEntity);
  const ledger = new ExtractionLedger(dataSource);
  const failures = new RetrievalFailures(dataSource);
  const inFlight = new RedisInFlightStore(redis);
  const scanner = new KafkaInFlightScanner(kafka, logger);
  const statusProducer = new ProducerSlot(kafka, logger);
  const publisher = new TransactionalRawPublisher(kafka, inFlight, scanner, ledger, logger, {
    instanceId: config.POLLER_INSTANCE_ID,
    maxRequestBytes: config.PRODUCE_MAX_BYTES,
    timeoutMs: config.PUBLISH_TIMEOUT_MS,
  });
  const status = new StatusReporter(statusProducer, redis, ledger, logger, Math.min(15_000, config.PUBLISH_TIMEOUT_MS));
  const schedule = new ScheduleStore(redis);
  const leases = new LeaseManager(redis, config.POLLER_INSTANCE_ID, config.LEASE_TTL_MS, logger);
  const sessionTraces = new SessionTraces(new ProtocolLogStore(redis), logger);

  const sessionDeps: SessionDeps = {
    connect: (connector) => {
      const options = pop3OptionsFor(connector, cipher, {
        ...(caBundle ? { caBundle } : {}),
        timeouts: { commandDeadlineMs: config.POP3_COMMAND_DEADLINE_MS, sessionMs: config.POP3_SESSION_DEADLINE_MS },
      });
      // Detailed logging: the trace goes to stdout and to the connector's protocol log (session-traces.ts).
      if (connector.detailedLogging)
        options.trace = sessionTraces.begin(connector.id, options, protocolTrace(logger, connector.id));
      return Pop3Client.connect(options);
    },
    reloadConnector: (connectorId) => connectors.findOneBy({ id: connectorId }),
    ledger,
    failures,
    publisher,
    blobStore: new FileSystemBlobStore(config.BLOB_DIR),
    settings: {
      maxRetrievalAttempts: config.MAX_RETRIEVAL_ATTEMPTS,
      batchMaxMessages: config.BATCH_MAX_MESSAGES,
      batchMaxBytes: config.BATCH_MAX_BYTES,
      inlineLimitBytes: config.INLINE_LIMIT_BYTES,
      retrieveWindow: config.RETRIEVE_WINDOW,
      // Most of the session deadline: the last batch then finishes and QUIT commits it in time.
      wrapUpAfterMs: Math.floor(config.POP3_SESSION_DEADLINE_MS * 0.75),
    },
    logger,
    onPublished: (connectorId, messages) => {
      metrics?.extracted.inc({ connector: connectorId }, messages.length);
      metrics?.extractedBytes.inc(
        { connector: connectorId },
        messages.reduce((sum, m) => sum + m.size, 0),
      );
    },
  };
  const runner = new SessionRunner(
    leases,
    schedule,
    status,
    failures,
    sessionDeps,
    {
      instanceId: config.POLLER_INSTANCE_ID,
      maxRetrievalAttempts: config.MAX_RETRIEVAL_ATTEMPTS,
      kafkaBackoffMaxMs: config.KAFKA_BACKOFF_MAX_MS,
      directoryHasInternalDomain: async () => {
        const rows = await dataSource.query<Array<{ present: boolean }>>(
          'SELECT EXISTS (SELECT 1 FROM directory_domains) AS present',
        );
        return rows[0]?.present === true;
      },
      onSessionEnd: (connector, result) => {
        sessionTraces.end(connector.id, result);
        const seconds = (result.endedAt.getTime() - result.startedAt.getTime()) / 1000;
        metrics?.pop3SessionSeconds.observe({ connector: connector.id, result: result.outcome }, seconds);
        if (result.error) metrics?.pop3Errors.inc({ connector: connector.id, code: result.error.code });
      },
    },
    logger,
  );
  const scheduler = new Scheduler(
    {
      list: () =>
        config.POLLER_CONNECTOR_IDS.length > 0
          ? connectors.find({ where: { id: In(config.POLLER_CONNECTOR_IDS) }, order: { createdAt: 'ASC' } })
          : connectors.find({ order: { createdAt: 'ASC' } }),
    },
    schedule,
    runner,
    {
      tickMs: config.POLL_TICK_MS,
      maxConcurrentSessions: config.MAX_CONCURRENT_SESSIONS,
      shutdownGraceMs: config.SHUTDOWN_GRACE_MS,
    },
    logger,
  );
  return {
    scheduler,
    summary: {
      instanceId: config.POLLER_INSTANCE_ID,
      connectors: config.POLLER_CONNECTOR_IDS.length > 0 ? config.POLLER_CONNECTOR_IDS : 'all',
      leaseTtlMs: config.LEASE_TTL_MS,
      pollTickMs: config.POLL_TICK_MS,
      batch: { messages: config.BATCH_MAX_MESSAGES, bytes: config.BATCH_MAX_BYTES },
      inlineLimitBytes: config.INLINE_LIMIT_BYTES,
      blobDir: config.BLOB_DIR,
      caFile: config.POP3_CA_FILE ?? null,
      pop3DeadlinesMs: { command: config.POP3_COMMAND_DEADLINE_MS, session: config.POP3_SESSION_DEADLINE_MS },
    },
    async close() {
      await statusProducer.close();
    },
  };
}

function readCaBundle(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new JournalwireError(
      'config-invalid',
      `POP3_CA_FILE: cannot read ${file} (${error instanceof Error ? error.message : String(error)})`,
      { cause: error },
    );
  }
}

/** Detailed logging: the connector's protocol trace (status and command lines; never bodies or credentials). */
function protocolTrace(logger: Logger, connectorId: string): (direction: 'client' | 'server', line: string) => void {
  const trace = logger.child({ connectorId, trace: 'pop3' });
  return (direction, line) =>
    trace.info(
      { direction, line: direction === 'client' ? redactClientLine(line) : line },
      direction === 'client' ? `C: ${redactClientLine(line)}` : `S: ${line}`,
    );
}

/** Belt and braces over the client's own redaction: never log a credential-bearing command. */
function redactClientLine(line: string): string {
  return /^(PASS|AUTH|APOP)\b/i.test(line) ? `${line.split(' ')[0]} [redacted]` : line;
}
