import { readFileSync } from 'node:fs';
import type { Repository } from 'typeorm';
import { FileSystemBlobStore } from '#blob-store';
import { JournalwireError } from '#errors';
import type { Logger } from '#logger';
import type { PipelineMetrics } from '#platform';
import { type ConnectorEntity, type CredentialCipher, pop3OptionsFor } from '#persistence';
import { Pop3Client } from '#pop3';
import type { PollerConfig } from './config.js';
import type { SessionDeps } from './extraction-session.js';
import type { ExtractionLedger, RetrievalFailures } from './ledger.js';
import type { TransactionalRawPublisher } from './raw-publisher.js';
import type { Scheduler } from './scheduler.js';
import type { SessionTraces } from './session-traces.js';

/** What PollerService runs: the scheduler, and what it closes once the scheduler has stopped. */
export interface PollerRuntime {
  scheduler: Scheduler;
  /** Non-secret settings, logged at start-up. */
  summary: Record<string, unknown>;
  close(): Promise<void>;
}

/** The parts an extraction session uses, from the poller's providers (poller.module.ts). */
export interface SessionParts {
  config: PollerConfig;
  cipher: CredentialCipher;
  connectors: Repository<ConnectorEntity>;
  ledger: ExtractionLedger;
  failures: RetrievalFailures;
  publisher: TransactionalRawPublisher;
  sessionTraces: SessionTraces;
  logger: Logger;
  metrics: PipelineMetrics;
}

/** How a session connects, reloads its connector, publishes and counts. */
export function sessionDepsOf(parts: SessionParts): SessionDeps {
  const { config, cipher, connectors, sessionTraces, logger, metrics } = parts;
  const caBundle = config.POP3_CA_FILE ? readCaBundle(config.POP3_CA_FILE) : undefined;
  return {
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
    ledger: parts.ledger,
    failures: parts.failures,
    publisher: parts.publisher,
    blobStore: new FileSystemBlobStore(config.BLOB_DIR),
    settings: {
      maxRetrievalAttempts: config.MAX_RETRIEVAL_ATTEMPTS,
      batchMaxMessages: config.BATCH_MAX_MESSAGES,
      batchMaxBytes: config.BATCH_MAX_BYTES,
      inlineLimitBytes: config.INLINE_LIMIT_BYTES,
      retrieveWindow: config.RETRIEVE_WINDOW,
      retrieveWindowBytes: config.RETRIEVE_WINDOW_BYTES,
      // Most of the session deadline: the last batch then finishes and QUIT commits it in time.
      wrapUpAfterMs: Math.floor(config.POP3_SESSION_DEADLINE_MS * 0.75),
    },
    logger,
    onPublished: (connectorId, messages) => {
      metrics.extracted.inc({ connector: connectorId }, messages.length);
      metrics.extractedBytes.inc(
        { connector: connectorId },
        messages.reduce((sum, m) => sum + m.size, 0),
      );
    },
  };
}

/** The poller's non-secret settings, logged when its scheduler starts. */
export function pollerSummary(config: PollerConfig): Record<string, unknown> {
  return {
    instanceId: config.POLLER_INSTANCE_ID,
    connectors: config.POLLER_CONNECTOR_IDS.length > 0 ? config.POLLER_CONNECTOR_IDS : 'all',
    leaseTtlMs: config.LEASE_TTL_MS,
    pollTickMs: config.POLL_TICK_MS,
    batch: { messages: config.BATCH_MAX_MESSAGES, bytes: config.BATCH_MAX_BYTES },
    inlineLimitBytes: config.INLINE_LIMIT_BYTES,
    blobDir: config.BLOB_DIR,
    caFile: config.POP3_CA_FILE ?? null,
    pop3DeadlinesMs: { command: config.POP3_COMMAND_DEADLINE_MS, session: config.POP3_SESSION_DEADLINE_MS },
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
