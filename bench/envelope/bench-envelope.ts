import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import { buildClassifiedRecord, DirectoryIndex, type EnvelopeRecipient } from '#journal';
import { buildReport, type ReportSpec } from '../../test/support/journal/report-builder.js';

// npm run bench:envelope [-- --seconds 5 --json]: generated ~28 KB journal reports through
// buildClassifiedRecord (parse + classify + dedup key + record, inline message) on one core.

const TARGET_BYTES = 28 * 1024;
const DISTINCT_REPORTS = 256;

interface Sample {
  raw: Buffer;
  sha256: string;
}

function recipientsFor(seed: number): EnvelopeRecipient[] {
  const count = 3 + (seed % 25);
  return Array.from({ length: count }, (_, i): EnvelopeRecipient => {
    const domain = i % 4 === 3 ? 'fabrikam.com' : 'contoso.com';
    const type = (['to', 'cc', 'bcc', 'recipient'] as const)[(seed + i) % 4] ?? 'to';
    if (i % 5 === 4)
      return {
        address: `member${seed}.${i}@${domain}`,
        type,
        via: 'expanded',
        viaAddress: `team${seed % 7}@contoso.com`,
      };
    return { address: `user${(seed * 31 + i) % 900}@${domain}`, type };
  });
}

function originalHeaders(seed: number): string[] {
  return [
    `Received: from EXMBX0${seed % 9}.contoso.com (10.1.1.${seed % 250}) by EXHUB01.contoso.com`,
    ' (10.1.1.21) with Microsoft SMTP Server (version=TLS1_2) id 15.1.2507.6; Thu, 7 Oct 2021 16:45:03 +0200',
    'Thread-Topic: Quarterly planning',
    'Thread-Index: Ade7i0Hq2Yw3s9ZtQ1e4mZr8xk7LAA==',
    'Date: Thu, 7 Oct 2021 14:45:01 +0000',
    'Accept-Language: en-US',
    'X-MS-Has-Attach: yes',
    'X-MS-Exchange-Organization-AuthAs: Internal',
    'X-MS-Exchange-Organization-AuthMechanism: 04',
    'X-MS-Exchange-Organization-AuthSource: EXMBX05.contoso.com',
    'X-MS-Exchange-Organization-Network-Message-Id: 3f2e1d0c-b9a8-4765-8c3b-2a1f0e9d8c7b',
    'X-MS-Exchange-Organization-Processed-By-Journaling: Journal Agent',
  ];
}

function generate(seed: number): Sample {
  const spec: ReportSpec = {
    sender: `user${seed % 900}@contoso.com`,
    subject: seed % 3 === 0 ? `Überweisung ${seed} – Ångström ✓` : `Quarterly planning ${seed}`,
    messageId: `<BENCH${seed.toString(16).toUpperCase()}@EXMBX05.contoso.com>`,
    recipients: recipientsFor(seed),
    envelopeEncoding: seed % 3 === 0 ? 'quoted-printable' : '7bit',
    originalHeaders: originalHeaders(seed),
    boundary: `_${createHash('md5').update(String(seed)).digest('hex')}_`,
  };
  const probe = buildReport({ ...spec, originalBody: '' });
  const attachmentLines = Math.max(0, Math.floor((TARGET_BYTES - probe.length - 200) / 78));
  const attachment = createHash('sha512').update(String(seed)).digest('base64').slice(0, 76);
  const body = [
    `Hello,\r\n\r\nplease find the figures attached (${seed}).\r\n`,
    ...Array.from({ length: attachmentLines }, () => `${attachment}\r\n`),
  ].join('');
  const raw = buildReport({ ...spec, originalBody: body });
  return { raw, sha256: createHash('sha256').update(raw).digest('hex') };
}

function directory(): DirectoryIndex {
  return new DirectoryIndex({
    domains: [{ domain: 'contoso.com' }],
    addresses: Array.from({ length: 500 }, (_, i) => ({
      address: `user${i}@contoso.com`,
      aliases: [`u${i}@contoso.com`],
    })),
  });
}

function classifyOnce(sample: Sample, index: DirectoryIndex): void {
  buildClassifiedRecord({
    raw: sample.raw,
    rawRecord: { partition: 0, offset: '0' },
    connectorId: 'bench',
    uidl: 'bench',
    sha256: sample.sha256,
    size: sample.raw.length,
    journalType: 'envelope',
    extractedAt: '2026-01-01T00:00:00.000Z',
    directory: index,
  });
}

function run(
  samples: Sample[],
  index: DirectoryIndex,
  seconds: number,
): { messages: number; bytes: number; elapsed: number; cpu: number } {
  const deadline = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
  const started = process.hrtime.bigint();
  const cpuStarted = process.cpuUsage();
  let messages = 0;
  let bytes = 0;
  while (true) {
    for (let i = 0; i < 64; i++) {
      const sample = samples[messages % samples.length] as Sample;
      classifyOnce(sample, index);
      messages++;
      bytes += sample.raw.length;
    }
    if (process.hrtime.bigint() >= deadline) break;
  }
  const cpu = process.cpuUsage(cpuStarted);
  return {
    messages,
    bytes,
    elapsed: Number(process.hrtime.bigint() - started) / 1e9,
    cpu: (cpu.user + cpu.system) / 1e6,
  };
}

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '5' }, json: { type: 'boolean', default: false } },
});
const seconds = Number(values.seconds);
if (!Number.isFinite(seconds) || seconds <= 0) {
  process.stderr.write('usage: npm run bench:envelope -- [--seconds N] [--json]\n');
  process.exit(2);
}
const samples = Array.from({ length: DISTINCT_REPORTS }, (_, seed) => generate(seed));
const index = directory();
run(samples, index, Math.min(1, seconds)); // warm-up
const result = run(samples, index, seconds);
const msgsPerSecond = result.messages / result.elapsed;
const mbPerSecond = result.bytes / result.elapsed / 1e6;
const averageKiB = samples.reduce((sum, s) => sum + s.raw.length, 0) / samples.length / 1024;
if (values.json) {
  process.stdout.write(
    `${JSON.stringify({ messages: result.messages, msgs_per_s: Math.round(msgsPerSecond), mb_per_s: Number(mbPerSecond.toFixed(1)) })}\n`,
  );
} else {
  process.stdout.write(
    [
      `envelope benchmark: buildClassifiedRecord on ${DISTINCT_REPORTS} generated reports (${averageKiB.toFixed(1)} KiB average), one core`,
      `messages   ${result.messages} in ${result.elapsed.toFixed(2)} s`,
      `msgs/s     ${Math.round(msgsPerSecond)}`,
      `MB/s       ${mbPerSecond.toFixed(1)}`,
      // On a busy machine wall-clock rates drop; the rate per CPU-second shows the cost itself.
      `msgs per CPU-second ${Math.round(result.messages / result.cpu)} (process CPU ${result.cpu.toFixed(2)} s, GC included)`,
    ].join('\n') + '\n',
  );
}
