import { toJournalwireError } from '#errors';
import { Pop3Client } from './pop3-client.js';
import type { StepRunner } from './session-setup.js';
import { legacyTlsWarning } from './tls.js';
import type { Pop3ConnectOptions, ProbeReport, ProbeStep } from './types.js';

/**
 * For "Test journal extraction": connects, authenticates, runs STAT and QUIT, timing each step.
 * Retrieves and deletes nothing. Never throws: failures are reported with the step they happened in.
 */
export async function probeMailbox(options: Pop3ConnectOptions): Promise<ProbeReport> {
  const steps: ProbeStep[] = [];
  const legacyTls = options.transport === 'plain' ? null : legacyTlsWarning(options.minTlsVersion);
  const warnings = legacyTls ? [legacyTls] : [];
  const timed: StepRunner = async (step, run, describe) => {
    const started = performance.now();
    const elapsed = (): number => Math.round((performance.now() - started) * 10) / 10;
    try {
      const result = await run();
      steps.push({ step, ok: true, ms: elapsed(), ...describe?.(result) });
      return result;
    } catch (error) {
      steps.push({ step, ok: false, ms: elapsed(), detail: toJournalwireError(error).message });
      throw error;
    }
  };

  let client: Pop3Client | null = null;
  try {
    client = await Pop3Client.connectWithSteps(options, timed);
    const connected = client;
    const mailbox = await timed(
      'stat',
      () => connected.stat(),
      (stat) => ({ detail: `${stat.count} messages, ${stat.size} bytes` }),
    );
    await client.quit().catch(() => connected.destroy());
    if (client.tls?.protocol && /^TLSv1(\.1)?$/.test(client.tls.protocol)) {
      warnings.push(`The server negotiated ${client.tls.protocol}, which is outdated: upgrade the server to TLS 1.2.`);
    }
    return { ok: true, steps, warnings, mailbox };
  } catch (error) {
    client?.destroy();
    const failure = toJournalwireError(error);
    return { ok: false, steps, warnings, error: { code: failure.code, message: failure.message } };
  }
}
