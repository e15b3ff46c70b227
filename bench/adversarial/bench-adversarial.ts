import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  classify,
  dedupKey,
  DirectoryIndex,
  parseJournalMessage,
  parseJournalStream,
  type ParseLimits,
} from '#journal';
import { ADVERSARIAL_KINDS, type AdversarialKind } from '../../test/support/journal/adversarial-inputs.js';

// npm run bench:adversarial [-- --size BYTES --kind NAME --min-ms MS --default-limits --json]
// Each hostile input kind at sizes N, 2N, 4N, 8N through the envelope service's parse path
// (parse + dedup key + classification), from a buffer and as a 64 KiB-chunk stream. Prints the
// time per byte at 8N divided by the time per byte at N: about 1 is linear, 8 would be quadratic.
// The parser's size limits are raised far above the inputs unless --default-limits is given, so
// every size is parsed whole and a limit cannot hide a super-linear path.

const CHUNK_BYTES = 64 * 1024;
const MULTIPLIERS = [1, 2, 4, 8] as const;
const ROUNDS = 3;

const directory = new DirectoryIndex({ domains: [{ domain: 'contoso.com' }], addresses: [] });
const RAISED_LIMITS: Partial<ParseLimits> = {
  maxHeaderBlockBytes: 1 << 30,
  maxEnvelopeBytes: 1 << 30,
  maxEnvelopeLines: 1 << 30,
};
let limits: Partial<ParseLimits> = RAISED_LIMITS;

function parseBuffer(raw: Buffer): void {
  const parsed = parseJournalMessage(raw, { journalType: 'envelope', limits });
  dedupKey(raw, parsed);
  classify(parsed, directory);
}

async function parseStream(raw: Buffer): Promise<void> {
  async function* chunks(): AsyncGenerator<Buffer> {
    for (let offset = 0; offset < raw.length; offset += CHUNK_BYTES) yield raw.subarray(offset, offset + CHUNK_BYTES);
  }
  const parsed = await parseJournalStream(chunks(), { journalType: 'envelope', limits });
  classify(parsed, directory);
}

const gc = (() => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

/** One run's wall time, after a full GC so it does not pay for the garbage of the one before. */
async function timeMs(run: () => void | Promise<void>): Promise<number> {
  gc();
  const t0 = performance.now();
  await run();
  return performance.now() - t0;
}

/**
 * The fastest of repeated runs per input (at least `rounds`, until `minMs` has passed). The
 * sizes take turns, so a busy spell on the machine hits all of them alike; other processes
 * only add time, so the minimum is the figure to compare.
 */
async function bestMs(inputs: Buffer[], run: (raw: Buffer) => void | Promise<void>, minMs: number): Promise<number[]> {
  const best = inputs.map(() => Number.POSITIVE_INFINITY);
  const started = performance.now();
  for (let round = 0; round < ROUNDS || performance.now() - started < minMs; round++)
    for (const [i, raw] of inputs.entries()) best[i] = Math.min(best[i] as number, await timeMs(() => run(raw)));
  return best;
}

interface KindResult {
  kind: string;
  bytes: number[];
  buffer_ms: number[];
  stream_ms: number[];
  /** Time per byte at the largest size over the smallest. */
  buffer_ratio: number;
  stream_ratio: number;
}

async function measure(kind: AdversarialKind, size: number, minMs: number): Promise<KindResult> {
  const inputs = MULTIPLIERS.map((m) => kind.build(size * m));
  const bufferMs = await bestMs(inputs, parseBuffer, minMs);
  const streamMs = await bestMs(inputs, parseStream, minMs);
  const bytes = inputs.map((raw) => raw.length);
  const perByteRatio = (ms: number[]) =>
    (ms[ms.length - 1] as number) / (bytes[bytes.length - 1] as number) / ((ms[0] as number) / (bytes[0] as number));
  return {
    kind: kind.name,
    bytes,
    buffer_ms: bufferMs.map(round2),
    stream_ms: streamMs.map(round2),
    buffer_ratio: round2(perByteRatio(bufferMs)),
    stream_ratio: round2(perByteRatio(streamMs)),
  };
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: String(256 * 1024) },
    kind: { type: 'string', multiple: true },
    'min-ms': { type: 'string', default: '0' },
    'default-limits': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
if (values['default-limits']) limits = {};
const size = Number(values.size);
const minMs = Number(values['min-ms']);
const kinds = ADVERSARIAL_KINDS.filter((kind) => values.kind === undefined || values.kind.includes(kind.name));
if (!Number.isInteger(size) || size < 1024 || !Number.isFinite(minMs) || minMs < 0 || kinds.length === 0) {
  process.stderr.write(
    `usage: npm run bench:adversarial -- [--size BYTES>=1024] [--min-ms MS] [--kind NAME ...] [--default-limits] [--json]\nkinds: ${ADVERSARIAL_KINDS.map((k) => k.name).join(', ')}\n`,
  );
  process.exit(2);
}

process.stdout.write(
  `adversarial parse benchmark: parse + dedup key + classification, sizes N=${size} B x ${MULTIPLIERS.join(', ')}, ` +
    `${values['default-limits'] ? 'default' : 'raised'} parser limits; ` +
    `ratio = time per byte at 8N / at N (1 = linear, 8 = quadratic)\n`,
);
process.stdout.write(
  `${'kind'.padEnd(26)} ${'bytes at 8N'.padStart(11)}  ${'buffer ms (N..8N)'.padEnd(30)} ratio  ${'stream ms (N..8N)'.padEnd(30)} ratio\n`,
);
const results: KindResult[] = [];
for (const kind of kinds) {
  const result = await measure(kind, size, minMs);
  results.push(result);
  process.stdout.write(
    `${kind.name.padEnd(26)} ${String(result.bytes[3]).padStart(11)}  ${result.buffer_ms.join(' / ').padEnd(30)} ${result.buffer_ratio.toFixed(2).padStart(5)}  ${result.stream_ms.join(' / ').padEnd(30)} ${result.stream_ratio.toFixed(2).padStart(5)}\n`,
  );
}
const worst = Math.max(...results.flatMap((r) => [r.buffer_ratio, r.stream_ratio]));
process.stdout.write(`worst ratio ${worst.toFixed(2)}\n`);
if (values.json)
  process.stdout.write(
    `${JSON.stringify({ size, limits: values['default-limits'] ? 'default' : 'raised', worst_ratio: worst, kinds: results })}\n`,
  );
