import { Transform, type TransformCallback } from 'node:stream';
import {
  HeaderThenBody,
  MultipartSplitter,
  NULL_SINK,
  multipartBoundary,
  parseMediaType,
  resolveLimits,
  type ByteSink,
  type HeaderBlock,
  type ParsedMessage,
} from '#journal';

/** The two headers "Remove Journal Headers" deletes; every other journal header is kept. */
export const JOURNAL_BCC_FIELDS: ReadonlySet<string> = new Set([
  'x-ms-exchange-organization-bcc',
  'x-ms-exchange-crosspremises-bcc',
]);

export interface RemovedHeader {
  /** The field name as written. */
  field: string;
  where: 'top-level' | 'original';
  /** For `original`: which top-level message/rfc822 part, counting from 0. */
  index?: number;
}

/** Bytes `start` up to (not including) `end`. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface HeaderRemovalResult {
  bytes: Buffer;
  removed: RemovedHeader[];
  /** The input's byte ranges that were left out, in order. */
  ranges: ByteRange[];
}

/**
 * Where byte ranges of the input (e.g. the originals a parse located) sit in the output once
 * `removed` (ascending, disjoint) are left out: each offset moves back by the removed bytes before it.
 */
export function shiftRanges<T extends ByteRange>(items: readonly T[], removed: readonly ByteRange[]): T[] {
  const shift = (offset: number) => {
    let gone = 0;
    for (const range of removed) {
      if (range.start >= offset) break;
      gone += Math.min(range.end, offset) - range.start;
    }
    return offset - gone;
  };
  return items.map((item) => ({ ...item, start: shift(item.start), end: shift(item.end) }));
}

interface Removal extends RemovedHeader {
  start: number;
  end: number;
}

const MAX_HEADER_BLOCK_BYTES = resolveLimits(undefined).maxHeaderBlockBytes;

function collect(block: HeaderBlock, into: Removal[], where: RemovedHeader['where'], index?: number): void {
  for (const field of block.fields) {
    if (!JOURNAL_BCC_FIELDS.has(field.lowerName)) continue;
    into.push({
      field: field.name,
      where,
      ...(index === undefined ? {} : { index }),
      start: field.start,
      end: field.end,
    });
  }
}

/**
 * Finds the journal BCC fields in the top-level header block and in the header block of each
 * top-level message/rfc822 part, as bytes stream through. Bodies, the envelope and deeper
 * messages are never looked into, so a body line that reads like such a header stays.
 */
class JournalHeaderLocator implements ByteSink {
  readonly removals: Removal[] = [];
  private readonly root: HeaderThenBody;
  private originals = 0;

  constructor() {
    this.root = new HeaderThenBody(MAX_HEADER_BLOCK_BYTES, (top) => {
      collect(top, this.removals, 'top-level');
      const contentType = parseMediaType(top.text('content-type'), 'text/plain');
      const boundary = multipartBoundary(contentType);
      if (boundary === null) return NULL_SINK;
      const digest = contentType.type === 'multipart/digest';
      return new MultipartSplitter(
        boundary,
        () => new HeaderThenBody(MAX_HEADER_BLOCK_BYTES, (part) => this.onPart(part, digest)),
      );
    });
  }

  write(chunk: Buffer, offset: number): void {
    this.root.write(chunk, offset);
  }

  end(offset: number): void {
    this.root.end(offset);
  }

  private onPart(part: HeaderBlock, inDigest: boolean): ByteSink {
    if (parseMediaType(part.text('content-type'), inDigest ? 'message/rfc822' : 'text/plain').type !== 'message/rfc822')
      return NULL_SINK;
    const index = this.originals++;
    return new HeaderThenBody(MAX_HEADER_BLOCK_BYTES, (inner) => {
      collect(inner, this.removals, 'original', index);
      return NULL_SINK;
    });
  }
}

function readHeaderBlock(raw: Buffer, start: number, end: number): HeaderBlock | null {
  let block: HeaderBlock | null = null;
  const reader = new HeaderThenBody(MAX_HEADER_BLOCK_BYTES, (header) => {
    block = header;
    return NULL_SINK;
  });
  reader.write(raw.subarray(start, end), start);
  reader.end(end);
  return block;
}

/** Uses the originals a journal parse already located; plain messages are walked. */
function locateWithParse(raw: Buffer, parsed: ParsedMessage): Removal[] {
  const removals: Removal[] = [];
  const top = readHeaderBlock(raw, 0, raw.length);
  if (top !== null) collect(top, removals, 'top-level');
  parsed.originals.forEach((original, index) => {
    if (original.role === 'fallback') return;
    const block = readHeaderBlock(raw, original.start, original.end);
    if (block !== null) collect(block, removals, 'original', index);
  });
  return removals;
}

function rangeOf({ start, end }: Removal): ByteRange {
  return { start, end };
}

function publicPart({ field, where, index }: Removal): RemovedHeader {
  return index === undefined ? { field, where } : { field, where, index };
}

/**
 * "Remove Journal Headers" (docs §8): deletes each X-MS-Exchange-Organization-BCC and
 * X-MS-Exchange-CrossPremises-BCC field (any case, empty or not, continuation lines included)
 * from the top-level header block and from each top-level message/rfc822 original's header
 * block. Every other byte is kept. Without a removal the same Buffer is returned.
 */
export function removeJournalHeaders(raw: Buffer, parsed?: ParsedMessage): HeaderRemovalResult {
  let removals: Removal[];
  if (parsed !== undefined && parsed.kind !== 'plain') {
    removals = locateWithParse(raw, parsed);
  } else {
    const locator = new JournalHeaderLocator();
    locator.write(raw, 0);
    locator.end(raw.length);
    removals = locator.removals;
  }
  if (removals.length === 0) return { bytes: raw, removed: [], ranges: [] };
  const kept: Buffer[] = [];
  let cursor = 0;
  for (const removal of removals) {
    kept.push(raw.subarray(cursor, removal.start));
    cursor = removal.end;
  }
  kept.push(raw.subarray(cursor));
  return { bytes: Buffer.concat(kept), removed: removals.map(publicPart), ranges: removals.map(rangeOf) };
}

/**
 * Streaming form of `removeJournalHeaders` for messages too large to hold. A header block is
 * at most the header limit long, so bytes more than that (plus the splitter's hold-back) behind
 * the scan can no longer fall into a removed field and are passed on; memory stays ~1 MiB.
 */
export class JournalHeaderRemover extends Transform {
  private static readonly HOLD_BACK = MAX_HEADER_BLOCK_BYTES + 64 * 1024;
  private readonly locator = new JournalHeaderLocator();
  private readonly queue: Buffer[] = [];
  /** Absolute offset of queue[0]'s first byte. */
  private queueStart = 0;
  private received = 0;
  private nextRemoval = 0;

  /** The fields removed so far; complete once the stream has finished. */
  get removed(): RemovedHeader[] {
    return this.locator.removals.map(publicPart);
  }

  /** The input's byte ranges left out so far; complete once the stream has finished. */
  get ranges(): ByteRange[] {
    return this.locator.removals.map(rangeOf);
  }

  override _transform(chunk: Buffer | string, _encoding: BufferEncoding, callback: TransformCallback): void {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk;
    try {
      this.locator.write(bytes, this.received);
      this.received += bytes.length;
      this.queue.push(bytes);
      this.release(this.received - JournalHeaderRemover.HOLD_BACK);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      this.locator.end(this.received);
      this.release(this.received);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  /** Pushes queued bytes before `limit`, leaving out removed ranges. */
  private release(limit: number): void {
    const removals = this.locator.removals;
    while (this.queue.length > 0 && this.queueStart < limit) {
      const head = this.queue[0] as Buffer;
      const take = Math.min(head.length, limit - this.queueStart);
      this.pushKept(head.subarray(0, take), this.queueStart, removals);
      this.queueStart += take;
      if (take === head.length) this.queue.shift();
      else this.queue[0] = head.subarray(take);
    }
  }

  private pushKept(bytes: Buffer, offset: number, removals: readonly Removal[]): void {
    let from = offset;
    const end = offset + bytes.length;
    while (from < end) {
      const removal = removals[this.nextRemoval];
      if (removal === undefined || removal.start >= end) {
        this.push(bytes.subarray(from - offset));
        return;
      }
      if (removal.start > from) this.push(bytes.subarray(from - offset, removal.start - offset));

      from = Math.max(from, Math.min(removal.end, end));
      if (removal.end <= end) this.nextRemoval++;
    }
  }
}
