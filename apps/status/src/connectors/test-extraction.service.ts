import { readFile } from 'node:fs/promises';
import { Inject, Injectable } from '@nestjs/common';
import type { TestExtractionReport } from '#contracts';
import type { Logger } from '#logger';
import {
  defaultPortOf,
  pop3OptionsFor,
  type AuditActor,
  type ConnectorEntity,
  type CredentialCipher,
} from '#persistence';
import { CONFIG, LOGGER, ProtocolLogStore, ProtocolTraceRecorder } from '#platform';
import type { probeMailbox } from '#pop3';
import { AuditService } from '../audit/audit.service.js';
import type { StatusConfig } from '../config.js';
import { CIPHER, PROBE_MAILBOX } from '../injection-tokens.js';
import { ConnectorEventsService } from './connector-events.service.js';
import type { TestExtractionInput } from './connector.schemas.js';
import { ConnectorsService } from './connectors.service.js';
import { assertPasswordForDestinationChange, changedDestinationFields } from './credential-rule.js';

/**
 * Test Journal Extraction: connects with the definition's settings, authenticates and reads
 * the mailbox size (STAT). It retrieves and deletes nothing. A failed probe is a report with
 * ok:false, not an API error. Unsaved settings may be tried; a different destination needs
 * the password in the request (the stored one only ever goes where the definition says).
 */
@Injectable()
export class TestExtractionService {
  constructor(
    @Inject(CONFIG) private readonly config: StatusConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(CIPHER) private readonly cipher: CredentialCipher,
    @Inject(PROBE_MAILBOX) private readonly probe: typeof probeMailbox,
    private readonly connectors: ConnectorsService,
    private readonly events: ConnectorEventsService,
    private readonly protocolLog: ProtocolLogStore,
    private readonly audit: AuditService,
  ) {}

  async run(connectorId: string, actor: AuditActor, unsaved: TestExtractionInput = {}): Promise<TestExtractionReport> {
    const stored = await this.connectors.entity(connectorId);
    const { password, ...settings } = unsaved;
    const tried: ConnectorEntity = { ...stored };
    for (const [field, value] of Object.entries(settings))
      if (value !== undefined) Object.assign(tried, { [field]: value });
    if (settings.port === undefined && stored.port === defaultPortOf(stored)) tried.port = defaultPortOf(tried);
    const changed = changedDestinationFields(stored, tried);
    assertPasswordForDestinationChange(changed, password);

    const caBundle = this.config.POP3_CA_FILE ? await readFile(this.config.POP3_CA_FILE, 'utf8') : undefined;
    const timeout = this.config.TEST_EXTRACTION_TIMEOUT_MS;
    const options = pop3OptionsFor(tried, this.cipher, {
      ...(caBundle ? { caBundle } : {}),
      ...(password !== undefined ? { password } : {}),
      timeouts: {
        connectMs: timeout,
        greetingMs: timeout,
        commandMs: timeout,
        commandDeadlineMs: timeout,
        sessionMs: this.config.TEST_EXTRACTION_DEADLINE_MS,
      },
    });
    const testedAt = new Date().toISOString();
    // Detailed logging: the test's trace goes to the connector's protocol log (#18.3).
    const recorder = tried.detailedLogging ? new ProtocolTraceRecorder('test-extraction', options) : null;
    if (recorder) options.trace = recorder.record;
    const report = await this.probe(options);
    if (recorder)
      await this.protocolLog.append(connectorId, recorder.finish(report.ok ? 'ok' : 'failed', report.error ?? null));
    this.logger.info(
      {
        connectorId,
        ok: report.ok,
        error: report.error?.code,
        steps: report.steps.map((step) => `${step.step}:${step.ok ? 'ok' : 'failed'}`),
      },
      'test extraction finished',
    );
    const details = {
      ok: report.ok,
      host: tried.host,
      port: tried.port,
      ...(changed.length > 0 ? { unsavedSettings: changed } : {}),
      ...(password !== undefined ? { password: { changed: true } } : {}),
      steps: report.steps.map((step) => ({
        step: step.step,
        ok: step.ok,
        ms: step.ms,
        ...(step.detail ? { detail: step.detail } : {}),
      })),
      ...(report.error ? { error: report.error } : {}),
      ...(report.warnings.length > 0 ? { warnings: report.warnings } : {}),
      ...(report.mailbox ? { mailbox: report.mailbox } : {}),
    };
    await this.events.record(undefined, connectorId, actor.name, 'test-extraction', details);
    await this.audit.record(undefined, actor, {
      action: 'connector.test-extraction',
      targetType: 'connector',
      targetId: connectorId,
      connectorId,
      details: {
        ok: report.ok,
        host: tried.host,
        port: tried.port,
        ...(changed.length ? { unsavedSettings: changed } : {}),
      },
    });
    return { connectorId, testedAt, ...report };
  }
}
