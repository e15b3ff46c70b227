import { archivedRecordSchema, decodeRecord, RECORD_HEADERS, rejectedRecordSchema, TOPICS } from '#contracts';
import { headerString } from '#kafka';
import { mailboxCount, type ServiceName } from '#test-support';
import { drainMailbox, finishBench, percentile, pipelineBench } from '../support/measure.js';

// npm run bench [-- --messages 20000 --json]
// Drains a generated mailbox (journal reports of 2-120 KB, about 28 KB mean) through the whole
// pipeline, and in the same run measures the raw POP3 ceiling on an identical mailbox.

const SERVICES: ServiceName[] = ['poller', 'envelope', 'policy', 'status'];

pipelineBench(
  'bench',
  { messages: 20_000, database: 'journalwire_bench', env: { BATCH_MAX_MESSAGES: '200', LOG_LEVEL: 'warn' } },
  async (run) => {
    const { pipeline, options, totalBytes, ceiling } = run;
    const MESSAGES = options.messages;
    // The ceiling: the same messages in a second mailbox, read by a minimal pipelined reader.
    const ceilingRate = ceiling.msgsPerSecond;

    await pipeline.start();
    await pipeline.api('POST', '/v1/directory/import', {
      domains: ['contoso.com'],
      addresses: ['alice@contoso.com', 'bob@contoso.com', 'carol@contoso.com', 'dave@contoso.com'],
    });
    const drain = await drainMailbox(
      pipeline,
      run.files,
      'bench',
      SERVICES,
      (status) => status.counters.extracted >= MESSAGES && status.processingQueue === 0,
    );
    const { id, seconds } = drain;

    const latencies: number[] = [];
    await pipeline.readTopics([TOPICS.archived, TOPICS.rejected], (record) => {
      const meta = headerString(record.headers, RECORD_HEADERS.meta);
      if (record.topic === TOPICS.archived) {
        const r = decodeRecord(archivedRecordSchema, meta);
        if (r.connectorId === id) latencies.push(Date.parse(r.archivedAt) - Date.parse(r.extractedAt));
      } else {
        const r = decodeRecord(rejectedRecordSchema, meta);
        if (r.connectorId === id) latencies.push(Date.parse(r.rejectedAt) - Date.parse(r.extractedAt));
      }
    });
    latencies.sort((a, b) => a - b);
    const report = await pipeline.reconcile(id);
    const leftInMailbox = await mailboxCount(drain.mailbox);
    const lost = report.missing.length + Math.max(0, MESSAGES - report.raw) + leftInMailbox;
    const duplicated = report.duplicated.length + report.archivedTwice.length + Math.max(0, report.raw - MESSAGES);
    const rate = MESSAGES / seconds;
    const result = {
      messages: MESSAGES,
      mean_kb: Number((totalBytes / MESSAGES / 1024).toFixed(1)),
      e2e_msgs_per_s: Number(rate.toFixed(1)),
      e2e_mb_per_s: Number((totalBytes / seconds / 1024 / 1024).toFixed(2)),
      ceiling_msgs_per_s: Number(ceilingRate.toFixed(1)),
      ceiling_cpu_seconds: ceiling.cpuSeconds,
      ratio: Number((rate / ceilingRate).toFixed(3)),
      p50_ms: percentile(latencies, 50),
      p99_ms: percentile(latencies, 99),
      lost,
      duplicated,
      peak_rss_mb: drain.peakRssMb,
      // Where the cores went during the drain; "machine_busy" is the share of all cores that was busy.
      cpu_seconds: drain.cpu,
      machine_busy: drain.machineBusy,
      cpu_ms_per_msg: Number(((drain.busySeconds * 1000) / MESSAGES).toFixed(2)),
    };
    await finishBench(result, options, drain);
  },
);
