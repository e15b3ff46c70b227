import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { parseArgs, promisify } from 'node:util';
import pg from 'pg';
import { archivedRecordSchema, decodeRecord, RECORD_HEADERS, rejectedRecordSchema, TOPICS } from '#contracts';
import { headerString } from '#kafka';
import {
  deliver,
  generateJournalReport,
  journalSize,
  mailboxCount,
  Pipeline,
  seededRandom,
  testEnv,
  type ServiceName,
} from '#test-support';
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

/** Drops and recreates a database next to the test database, migrated; returns its URL. */
async function freshDatabase(name: string): Promise<string> {
  const url = new URL(testEnv.databaseUrl);
  url.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  url.pathname = `/${name}`;
  await run(process.execPath, ['dist/scripts/migrate.js'], {
    env: { ...process.env, DATABASE_URL: url.toString(), LOG_LEVEL: 'warn' },
  });
  return url.toString();
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * User + system CPU seconds a process has used so far (0 when it is gone); with `children`, also
 * those of the children it has reaped (Dovecot's master reaps a process per POP3 session).
 */
function cpuSeconds(pid: number | undefined, children = false): number {
  if (!pid) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime, stime, cutime, cstime are fields 14-17 of /proc/PID/stat, in clock ticks (100 per second).
    const own = Number(fields[11]) + Number(fields[12]);
    return (children ? own + Number(fields[13]) + Number(fields[14]) : own) / 100;
  } catch {
    return 0;
  }
}

/** Busy and total CPU ticks of the whole machine, from /proc/stat. */
function machineCpu(): { busy: number; total: number } {
  const ticks = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = ticks.reduce((sum, t) => sum + t, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return { busy: total - idle, total };
}

function pidFromFile(path: string): number | undefined {
  try {
    return Number(readFileSync(path, 'utf8').trim()) || undefined;
  } catch {
    return undefined;
  }
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

  // A database of its own: connectors other runs and tests left behind (some with wrong passwords,
  // which make Dovecot slow down every login from this address) must not share the poller.
  const databaseUrl = await freshDatabase('journalwire_bench');
  const pipeline = new Pipeline({ BATCH_MAX_MESSAGES: '200', LOG_LEVEL: 'warn', DATABASE_URL: databaseUrl });
  try {
    // The ceiling: the same messages in a second mailbox, read by a minimal pipelined reader.
    const ceilingBox = `bench-ceiling-${Date.now()}@contoso.test`;
    await run('deploy/local/mailbox.sh', ['create', ceilingBox, 'bench-pass']);
    log('delivering both mailboxes through Dovecot...');
    await deliver(ceilingBox, files);
    const dovecotPid = pidFromFile(`${testEnv.runDir}/dovecot/run/master.pid`);
    const ceilingCpuBefore = { reader: process.cpuUsage(), dovecot: cpuSeconds(dovecotPid, true) };
    const ceiling = await rawPipelinedReader(
      {
        host: testEnv.pop3Host,
        port: testEnv.pop3sPort,
        transport: 'pop3s',
        tlsMode: 'strict',
        ca: readFileSync(testEnv.pop3CaFile),
        username: ceilingBox,
        password: 'bench-pass',
      },
      MESSAGES,
    );
    const ceilingRate = ceiling.messages / ceiling.seconds;
    // Dovecot's share is counted once its session process has exited and been reaped.
    await new Promise((r) => setTimeout(r, 500));
    const readerCpu = process.cpuUsage(ceilingCpuBefore.reader);
    const ceilingCpu = {
      reader: Number(((readerCpu.user + readerCpu.system) / 1e6).toFixed(1)),
      dovecot: Number((cpuSeconds(dovecotPid, true) - ceilingCpuBefore.dovecot).toFixed(1)),
    };
    log(
      `ceiling: ${ceilingRate.toFixed(0)} msgs/s (${(ceiling.bytes / ceiling.seconds / 1024 / 1024).toFixed(1)} MB/s)`,
    );
    // Dovecot may still be closing the reader's session: removing the mailbox is best effort.
    await new Promise((r) => setTimeout(r, 1000));
    await run('deploy/local/mailbox.sh', ['delete', ceilingBox]).catch(() => undefined);

    await pipeline.start();
    await pipeline.api('POST', '/v1/directory/import', {
      domains: ['contoso.com'],
      addresses: ['alice@contoso.com', 'bob@contoso.com', 'carol@contoso.com', 'dave@contoso.com'],
    });
    const mailbox = `bench-${Date.now()}@contoso.test`;
    await run('deploy/local/mailbox.sh', ['create', mailbox, 'bench-pass']);
    await deliver(mailbox, files);
    files.length = 0;

    const cpuPids = {
      ...Object.fromEntries(
        (['poller', 'envelope', 'policy', 'status'] as ServiceName[]).map((name) => [
          name,
          pipeline.services.get(name)?.process.pid,
        ]),
      ),
      kafka: pidFromFile(`${testEnv.runDir}/kafka/kafka.pid`),
      dovecot: dovecotPid,
    };
    const machineBefore = machineCpu();
    const cpuBefore = Object.fromEntries(
      Object.entries(cpuPids).map(([name, pid]) => [name, cpuSeconds(pid, name === 'dovecot')]),
    );
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
    // Where the cores went during the drain; "machine" is the share of all cores that was busy.
    const machineAfter = machineCpu();
    const cpu = Object.fromEntries(
      Object.entries(cpuPids).map(([name, pid]) => [
        name,
        Number((cpuSeconds(pid, name === 'dovecot') - cpuBefore[name]!).toFixed(1)),
      ]),
    );
    const machineBusy = Number(
      ((machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total)).toFixed(2),
    );
    // /proc/stat counts in clock ticks too; "other" is PostgreSQL, Redis, this script and the kernel.
    const busySeconds = (machineAfter.busy - machineBefore.busy) / 100;
    cpu.other = Number((busySeconds - Object.values(cpu).reduce((sum, v) => sum + v, 0)).toFixed(1));
    const rss = Object.fromEntries(
      (['poller', 'envelope', 'policy', 'status'] as ServiceName[]).map((name) => [
        name,
        peakRssMb(pipeline.services.get(name)?.process.pid),
      ]),
    );

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
      ceiling_cpu_seconds: ceilingCpu,
      ratio: Number((rate / ceilingRate).toFixed(3)),
      p50_ms: percentile(latencies, 50),
      p99_ms: percentile(latencies, 99),
      lost,
      duplicated,
      peak_rss_mb: rss,
      cpu_seconds: cpu,
      machine_busy: machineBusy,
      cpu_ms_per_msg: Number(((busySeconds * 1000) / MESSAGES).toFixed(2)),
    };
    if (args.json) {
      process.stdout.write(`${JSON.stringify(result)}\n`);
    } else {
      log('');
      log('| measure | value |');
      log('|---|---|');
      for (const [key, value] of Object.entries(result))
        log(`| ${key} | ${typeof value === 'object' ? JSON.stringify(value) : value} |`);
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
