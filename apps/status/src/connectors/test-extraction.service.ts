import { readFile } from 'node:fs/promises';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '#logger';
import { pop3OptionsFor, type CredentialCipher } from '#persistence';
import { CONFIG, LOGGER } from '#platform';
import type { probeMailbox, ProbeReport } from '#pop3';
import type { StatusConfig } from '../config.js';
import { CIPHER, PROBE_MAILBOX } from '../platform/tokens.js';
import { ConnectorEventsService } from './connector-events.service.js';
import { ConnectorsService } from './connectors.service.js';

export interface TestExtractionReport extends ProbeReport {
  connectorId: string;
  testedAt: string;
}

/**
 * Test Journal Extraction: connects with the definition's settings, authenticates and reads
 * the mailbox size (STAT). It retrieves and deletes nothing. A failed probe is a report with
 * ok:false, not an API error.
 */
@Injectable()
export class TestExtractionService {
  constructor(
    @Inject(CONFIG) private readonly config: StatusConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(CIPHER) private readonly cipher: CredentialCipher,
    @Inject(PROBE_MAILBOX) private readonly probe: typeof probeMailbox,
    @Inject(ConnectorsService) private readonly connectors: ConnectorsService,
    @Inject(ConnectorEventsService) private readonly events: ConnectorEventsService,
  ) {}

  async run(connectorId: string, actor: string): Promise<TestExtractionReport> {
    const connector = await this.connectors.entity(connectorId);
    const caBundle = this.config.POP3_CA_FILE ? await readFile(this.config.POP3_CA_FILE, 'utf8') : undefined;
    const timeout = this.config.TEST_EXTRACTION_TIMEOUT_MS;
    const options = pop3OptionsFor(connector, this.cipher, {
      ...(caBundle ? { caBundle } : {}),
      timeouts: {
        connectMs: timeout,
        greetingMs: timeout,
        commandMs: timeout,
        commandDeadlineMs: timeout,
        sessionMs: this.config.TEST_EXTRACTION_DEADLINE_MS,
      },
    });
    const testedAt = new Date().toISOString();
    const report = await this.probe(options);
    this.logger.info(
      {
        connectorId,
        ok: report.ok,
        error: report.error?.code,
        steps: report.steps.map((step) => `${step.step}:${step.ok ? 'ok' : 'failed'}`),
      },
      'test extraction finished',
    );
    await this.events.record(undefined, connectorId, actor, 'test-extraction', {
      ok: report.ok,
      host: connector.host,
      port: connector.port,
      steps: report.steps.map((step) => ({
        step: step.step,
        ok: step.ok,
        ms: step.ms,
        ...(step.detail ? { detail: step.detail } : {}),
      })),
      ...(report.error ? { error: report.error } : {}),
      ...(report.warnings.length > 0 ? { warnings: report.warnings } : {}),
      ...(report.mailbox ? { mailbox: report.mailbox } : {}),
    });
    return { connectorId, testedAt, ...report };
  }
}
