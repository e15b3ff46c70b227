import { CaptureSink, NULL_SINK, TeeSink, type ByteSink } from '../mime/byte-sink.js';
import { multipartBoundary, parseMediaType, parseParameterizedValue, type MediaType } from '../mime/content-type.js';
import { type HeaderBlock } from '../mime/header-block.js';
import { HeaderThenBody } from '../mime/header-then-body.js';
import { MultipartSplitter } from '../mime/multipart-splitter.js';
import { TransferDecoderSink, normaliseTransferEncoding } from '../decoding/transfer-decoder.js';
import { decodeEncodedWords } from '../decoding/rfc2047.js';
import { summariseHeaders, type MessageHeaderSummary } from '../headers/message-summary.js';
import { ContentHasher } from '../content-hash.js';
import { detectJournalMarker } from '../detection.js';
import { type ParseLimits } from '../limits.js';
import { type JournalMarker, type JournalType } from '../types.js';

export interface ScanOptions {
  journalType: JournalType;
  limits: ParseLimits;
  /** Compute dedup content hashes while scanning (streaming, where the bytes are gone after). */
  hashContent: boolean;
}

/** A text part that may carry the envelope, decoded from its transfer encoding as it streams. */
export interface EnvelopeCandidate {
  mediaType: 'text/plain' | 'text/html';
  charset: string | null;
  transferEncoding: string;
  decoded: CaptureSink;
}

/** A top-level message/rfc822 part, or an attached .eml/.msg file (fallback). */
export interface ScannedOriginal {
  mediaType: string;
  fallback: boolean;
  start: number;
  end: number;
  filename: string | null;
  transferEncoding: string | null;
  summary: MessageHeaderSummary | null;
  headerFieldCount: number;
  headerTruncated: boolean;
  nestedMarker: boolean;
  hasher: ContentHasher | null;
}

/** Everything the scan learnt; `assembleParsedMessage` turns it into the result. */
export interface ScanFacts {
  top: HeaderBlock | null;
  marker: JournalMarker | null;
  asReport: boolean;
  envelopeText: EnvelopeCandidate | null;
  envelopeHtml: EnvelopeCandidate | null;
  originals: ScannedOriginal[];
  rfc822Count: number;
  fallbacks: ScannedOriginal[];
  limitExceeded: boolean;
  /** Plain messages only, when hashing: the whole message's content hash. */
  messageHasher: ContentHasher | null;
}

const FALLBACK_NAME = /\.(eml|msg)$/i;
const FALLBACK_TYPES = new Set(['application/octet-stream', 'application/vnd.ms-outlook']);

/**
 * Walks a message at the byte level as it streams: the top-level header block, then, for a
 * report, the top-level parts' headers, the envelope candidates' text and each original's
 * header block. Original bodies are only counted through (and hashed when asked).
 */
export class JournalScanner implements ByteSink {
  readonly facts: ScanFacts = {
    top: null,
    marker: null,
    asReport: false,
    envelopeText: null,
    envelopeHtml: null,
    originals: [],
    rfc822Count: 0,
    fallbacks: [],
    limitExceeded: false,
    messageHasher: null,
  };
  private readonly root: HeaderThenBody;
  private alternativeSeen = false;

  constructor(private readonly options: ScanOptions) {
    this.root = new HeaderThenBody(options.limits.maxHeaderBlockBytes, (block) => this.onTopHeader(block));
  }

  write(chunk: Buffer, offset: number): void {
    this.root.write(chunk, offset);
  }

  end(offset: number): void {
    this.root.end(offset);
  }

  private onTopHeader(block: HeaderBlock): ByteSink {
    const facts = this.facts;
    facts.top = block;
    facts.marker = detectJournalMarker(block);
    if (block.truncated) facts.limitExceeded = true;
    facts.asReport = this.options.journalType === 'envelope' && facts.marker !== null;
    if (!facts.asReport) {
      if (!this.options.hashContent) return NULL_SINK;
      facts.messageHasher = new ContentHasher(true, this.options.limits.maxHeaderBlockBytes);
      facts.messageHasher.write(block.bytes);
      return facts.messageHasher;
    }
    if (block.truncated) return NULL_SINK;
    const contentType = parseMediaType(block.text('content-type'), 'text/plain');
    const boundary = multipartBoundary(contentType);
    if (boundary !== null) {
      const digest = contentType.type === 'multipart/digest';
      return this.multipart(boundary, 1, (part) => this.onTopLevelPart(part, digest));
    }
    // A report that is a single text part: that text is the only envelope candidate.
    return this.envelopeCandidate(block, contentType) ?? NULL_SINK;
  }

  private multipart(boundary: string, depth: number, onPart: (header: HeaderBlock) => ByteSink): ByteSink {
    if (depth > this.options.limits.maxMimeDepth) {
      this.facts.limitExceeded = true;
      return NULL_SINK;
    }
    return new MultipartSplitter(boundary, () => new HeaderThenBody(this.options.limits.maxHeaderBlockBytes, onPart));
  }

  private onTopLevelPart(header: HeaderBlock, inDigest: boolean): ByteSink {
    const facts = this.facts;
    if (header.truncated) facts.limitExceeded = true;
    const contentType = parseMediaType(header.text('content-type'), inDigest ? 'message/rfc822' : 'text/plain');
    if (contentType.type === 'message/rfc822') return this.original(header, contentType);
    if (facts.rfc822Count === 0) {
      if (contentType.type === 'multipart/alternative' && !this.alternativeSeen) {
        this.alternativeSeen = true;
        const boundary = multipartBoundary(contentType);
        if (boundary !== null)
          return this.multipart(
            boundary,
            2,
            (part) =>
              this.envelopeCandidate(part, parseMediaType(part.text('content-type'), 'text/plain')) ?? NULL_SINK,
          );
      }
      const candidate = this.envelopeCandidate(header, contentType);
      if (candidate !== null) return candidate;
    }
    const filename = attachmentName(header, contentType);
    if (filename !== null && FALLBACK_TYPES.has(contentType.type) && FALLBACK_NAME.test(filename))
      return this.fallback(header, contentType, filename);
    return NULL_SINK;
  }

  private envelopeCandidate(header: HeaderBlock, contentType: MediaType): ByteSink | null {
    const facts = this.facts;
    const type = contentType.type;
    if (type !== 'text/plain' && type !== 'text/html') return null;
    if ((type === 'text/plain' ? facts.envelopeText : facts.envelopeHtml) !== null) return null;
    if (type === 'text/html' && facts.envelopeText !== null) return null;
    const transferEncoding = normaliseTransferEncoding(header.text('content-transfer-encoding'));
    const candidate: EnvelopeCandidate = {
      mediaType: type,
      charset: contentType.params.get('charset')?.trim().toLowerCase() || null,
      transferEncoding,
      decoded: new CaptureSink(this.options.limits.maxEnvelopeBytes),
    };
    if (type === 'text/plain') facts.envelopeText = candidate;
    else facts.envelopeHtml = candidate;
    return new TransferDecoderSink(transferEncoding, candidate.decoded);
  }

  private original(header: HeaderBlock, contentType: MediaType): ByteSink {
    const facts = this.facts;
    facts.rfc822Count++;
    if (facts.rfc822Count > this.options.limits.maxOriginals) {
      facts.limitExceeded = true;
      return NULL_SINK;
    }
    // RFC 2046 allows only 7bit/8bit/binary here, but a re-rendering store may encode it anyway.
    const transferEncoding = normaliseTransferEncoding(header.text('content-transfer-encoding'));
    const encoded = transferEncoding === 'base64' || transferEncoding === 'quoted-printable';
    const original = this.scannedOriginal(
      contentType.type,
      header.bodyStart,
      false,
      null,
      encoded ? transferEncoding : null,
    );
    facts.originals.push(original);
    const readHeader = this.originalHeaderReader(original);
    const message = original.hasher === null ? readHeader : new TeeSink(readHeader, original.hasher);
    return endRecorder(encoded ? new TransferDecoderSink(transferEncoding, message) : message, (end) => {
      original.end = end;
    });
  }

  private fallback(header: HeaderBlock, contentType: MediaType, filename: string): ByteSink {
    const facts = this.facts;
    if (facts.fallbacks.length >= this.options.limits.maxOriginals) return NULL_SINK;
    const transferEncoding = normaliseTransferEncoding(header.text('content-transfer-encoding'));
    const isEml = /\.eml$/i.test(filename);
    const original = this.scannedOriginal(contentType.type, header.bodyStart, true, filename, transferEncoding, isEml);
    facts.fallbacks.push(original);
    const sinks: ByteSink[] = [];
    if (isEml) sinks.push(this.originalHeaderReader(original));
    if (original.hasher !== null) sinks.push(original.hasher);
    const decoded =
      sinks.length === 0
        ? NULL_SINK
        : new TransferDecoderSink(
            transferEncoding,
            sinks.length === 1 ? (sinks[0] as ByteSink) : new TeeSink(...sinks),
          );
    return endRecorder(decoded, (end) => {
      original.end = end;
    });
  }

  private scannedOriginal(
    mediaType: string,
    start: number,
    fallback: boolean,
    filename: string | null,
    transferEncoding: string | null,
    filterHeaders = true,
  ): ScannedOriginal {
    // Only the first original of each kind feeds the dedup key.
    const first = fallback ? this.facts.fallbacks.length === 0 : this.facts.originals.length === 0;
    return {
      mediaType,
      fallback,
      start,
      end: start,
      filename,
      transferEncoding,
      summary: null,
      headerFieldCount: 0,
      headerTruncated: false,
      nestedMarker: false,
      hasher:
        this.options.hashContent && first
          ? new ContentHasher(filterHeaders, this.options.limits.maxHeaderBlockBytes)
          : null,
    };
  }

  private originalHeaderReader(original: ScannedOriginal): HeaderThenBody {
    return new HeaderThenBody(this.options.limits.maxHeaderBlockBytes, (block) => {
      original.summary = summariseHeaders(block);
      original.headerFieldCount = block.fields.length;
      original.headerTruncated = block.truncated;
      original.nestedMarker = detectJournalMarker(block) !== null;
      if (block.truncated) this.facts.limitExceeded = true;
      return NULL_SINK;
    });
  }
}

function attachmentName(header: HeaderBlock, contentType: MediaType): string | null {
  const disposition = parseParameterizedValue(header.text('content-disposition'));
  const name = disposition.params.get('filename') ?? contentType.params.get('name');
  return name === undefined ? null : decodeEncodedWords(name).trim();
}

/** Passes bytes through and reports the absolute offset where the range ended. */
function endRecorder(inner: ByteSink, onEnd: (offset: number) => void): ByteSink {
  return {
    get satisfied() {
      return inner.satisfied === true;
    },
    write: (chunk, offset) => {
      if (inner.satisfied !== true) inner.write(chunk, offset);
    },
    end: (offset) => {
      onEnd(offset);
      inner.end(offset);
    },
  };
}
