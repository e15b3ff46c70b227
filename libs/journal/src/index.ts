export { parseJournalMessage, type ParseOptions } from './parse-journal-message.js';
export { parseJournalStream, type StreamParsedMessage } from './parse-journal-stream.js';
export { DEFAULT_PARSE_LIMITS, type ParseLimits } from './limits.js';
export {
  SOFT_DEFECTS,
  HARD_DEFECTS,
  UNPARSEABLE,
  isHardDefect,
  type Defect,
  type SoftDefect,
  type HardDefect,
} from './defects.js';
export type {
  Envelope,
  EnvelopeRecipient,
  JournalMarker,
  JournalType,
  MessageKind,
  OriginalRef,
  OriginalRole,
  ParsedMessage,
  Participant,
  ParticipantRole,
  RecipientType,
  ReportHeaders,
  Via,
} from './types.js';
export type { MessageHeaderSummary } from './headers/message-summary.js';
export { DirectoryIndex, buildDirectoryIndex, directoryConfigSchema, type DirectoryConfig } from './directory.js';
export {
  classify,
  classifyAddress,
  type Classification,
  type ClassificationResult,
  type ClassifiedParticipant,
  type ClassifyOptions,
} from './classify.js';
export { dedupKey, mergeRecipients, normaliseMessageId, sameDedupKey, type DedupKey } from './dedup.js';
export { isExcludedFromContentHash } from './content-hash.js';
export {
  buildClassifiedRecord,
  buildClassifiedRecordFromStream,
  classifiedRecordId,
  originalRanges,
  type ClassifyInput,
} from './classified-record.js';
// Byte-level MIME building blocks, shared with libs/policy.
export { HeaderBlock, parseHeaderFields, type HeaderField } from './mime/header-block.js';
export { HeaderThenBody } from './mime/header-then-body.js';
export { MultipartSplitter } from './mime/multipart-splitter.js';
export { NULL_SINK, type ByteSink } from './mime/byte-sink.js';
export { multipartBoundary, parseMediaType, type MediaType } from './mime/content-type.js';
export { resolveLimits } from './limits.js';
export { topHeaders, TOP_HEADERS_SCAN_BYTES, type TopHeaders } from './headers/top-headers.js';
