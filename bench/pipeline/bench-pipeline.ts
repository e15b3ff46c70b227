import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { parseArgs, promisify } from 'node:util';
import { archivedRecordSchema, decodeRecord, rejectedRecordSchema, TOPICS } from '#contracts';
import { readTopicsToEnd, reconcileConnector } from '#kafka';
import { deliver, generateJournalReport, journalSize, mailboxCount, Pipeline, seededRandom, testEnv, type ServiceName } from '#test-support';
import { rawPipelinedReader } from '../pop3/raw-reader.js';

// npm run bench [-- --messages 20000 --json]
// Drains a generated mailbox (journal reports of 2-120 KB, about 28 KB mean) through the whole
// pipeline, and in the same run measures the raw POP3 ceiling on an identical mailbox.

const { values: args } = parseArgs({
  options: {
    messages: { type: 'string', default: '20000' },
    seed: { type: 'string', default: '42' },
    json: { type: 'boolean', default: false },
  },
});
const MESSAGES = Number(args.messages);
const run = promisify(execFile);
const log = (line: string) => {
  if (!args.json) process.stdout.write(`${line}\n`);
};

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function peakRssMb(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round(Number(match[1]) / 1024) : 0;
  } catch {
    return 0;
  }
}

async function main(): Promise<void> {
  const random = seededRandom(Number(args.seed));
  log(`generating ${MESSAGES} journal reports...`);
  const files: Buffer[] = [];
  let totalBytes = 0;
  for (let i = 0; i < MESSAGES; i++) {
    const report = generateJournalReport(i, journalSize(random), random).bytes;
    files.push(report);
    totalBytes += report.length;
  }
  log(`  ${(totalBytes / 1024 / 1024).toFixed(1)} MiB, mean ${(totalBytes / MESSAGES / 1024).toFixed(1)} KiB`);

  const pipeline = new Pipeline({ BATCH_MAX_MESSAGES: '200', LOG_LEVEL: 'warn' });
  try {
    // The ceiling: the same messages in a second mailbox, read by a minimal pipelined reader.
    const ceilingBox = `bench-ceiling-${Date.now()}@contoso.test`;
    await run('deploy/local/mailbox.sh', ['create', ceilingBox, 'bench-pass']);
    log('delivering both mailboxes through Dovecot...');
    await deliver(ceilingBox, files);
    const ceiling = await rawPipelinedReader(
      { host: testEnv.pop3Host, port: testEnv.pop3sPort, transport: 'pop3s', tlsMode: 'strict', ca: readFileSync(testEnv.pop3CaFile), username: ceilingBox, password: 'bench-pass' },
      MESSAGES,
    );
    const ceilingRate = ceiling.messages / ceiling.seconds;
    log(`ceiling: ${ceilingRate.toFixed(0)} msgs/s (${(ceiling.bytes / ceiling.seconds / 1024 / 1024).toFixed(1)} MB/s)`);
    // Dovecot may still be closing the reader's session: removing the mailbox is best effort.
    await new Promise((r) => setTimeout(r, 1000));
    await run('deploy/local/mailbox.sh', ['delete', ceilingBox]).catch(() => undefined);

    await pipeline.start();
    await pipeline.api('POST', '/v1/directory/import', { domains: ['contoso.com'], addresses: ['alice@contoso.com', 'bob@contoso.com', 'carol@contoso.com', 'dave@contoso.com'] });
    const mailbox = `bench-${Date.now()}@contoso.test`;
    await run('deploy/local/mailbox.sh', ['create', mailbox, 'bench-pass']);
    await deliver(mailbox, files);
    files.length = 0;

    const started = performance.now();
    const connector = await pipeline.api('POST', '/v1/connectors', {
      description: 'bench',
      transportType: 'pop3',
      serviceEmailAddress: 'journal@contoso.com',
      mailboxName: mailbox,
      password: 'bench-pass',
      host: testEnv.pop3Host,
      port: testEnv.pop3sPort,
      encrypted: true,
      encryptionMode: 'strict',
      journalNonInternalAddresses: true,
      journalUnknownInternalAddresses: true,
      pollIntervalSeconds: 5,
      maxMessagesPerSession: 100000,
    });
    const id = String(connector.id);
    for (;;) {
      const status = await pipeline.status(id).catch(() => undefined);
      if (status && status.counters.extracted >= MESSAGES && status.processingQueue === 0) break;
      if (performance.now() - started > 30 * 60_000) throw new Error('the pipeline did not drain within 30 minutes');
      await new Promise((r) => setTimeout(r, 200));
    }
    const seconds = (performance.now() - started) / 1000;
    const rss = Object.fromEntries((['poller', 'envelope', 'policy', 'status'] as ServiceName[]).map((name) => [name, peakRssMb(pipeline.services.get(name)?.process.pid)]));

    const latencies: number[] = [];
    await readTopicsToEnd(pipeline.kafka, [TOPICS.archived, TOPICS.rejected], (record) => {
      if (record.topic === TOPICS.archived) {
        const r = decodeRecord(archivedRecordSchema, record.value);
        if (r.connectorId === id) latencies.push(Date.parse(r.archivedAt) - Date.parse(r.extractedAt));
      } else {
        const r = decodeRecord(rejectedRecordSchema, record.value);
        if (r.connectorId === id) latencies.push(Date.parse(r.rejectedAt) - Date.parse(r.extractedAt));
      }
    });
    latencies.sort((a, b) => a - b);
    const report = await reconcileConnector(pipeline.kafka, id);
    const leftInMailbox = await mailboxCount(mailbox);
    const lost = report.missing.length + Math.max(0, MESSAGES - report.raw) + leftInMailbox;
    const duplicated = report.duplicated.length + report.archivedTwice.length + Math.max(0, report.raw - MESSAGES);
    const rate = MESSAGES / seconds;
    const result = {
      messages: MESSAGES,
      mean_kb: Number((totalBytes / MESSAGES / 1024).toFixed(1)),
      e2e_msgs_per_s: Number(rate.toFixed(1)),
      e2e_mb_per_s: Number((totalBytes / seconds / 1024 / 1024).toFixed(2)),
      ceiling_msgs_per_s: Number(ceilingRate.toFixed(1)),
      ratio: Number((rate / ceilingRate).toFixed(3)),
      p50_ms: percentile(latencies, 50),
      p99_ms: percentile(latencies, 99),
      lost,
      duplicated,
      peak_rss_mb: rss,
    };
    if (args.json) {
      process.stdout.write(`${JSON.stringify(result)}\n`);
    } else {
      log('');
      log('| measure | value |');
      log('|---|---|');
      for (const [key, value] of Object.entries(result)) log(`| ${key} | ${typeof value === 'object' ? JSON.stringify(value) : value} |`);
    }
    await run('deploy/local/mailbox.sh', ['delete', mailbox]).catch(() => undefined);
  } finally {
    await pipeline.stop();
    rmSync(pipeline.blobDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
