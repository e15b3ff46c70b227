/** Record headers as the broker returns them: bytes (or strings), a name possibly repeated. */
export type RecordHeaders = Record<string, Buffer | string | Array<Buffer | string> | undefined>;

/** One outgoing record. Values are Buffers end to end: never decoded to strings. */
export interface OutgoingRecord {
  topic: string;
  key: string;
  value: Buffer;
  headers?: Record<string, string>;
  /** Not sent: facts about the record for metrics once it is committed. */
  facts?: Record<string, string>;
}

/** One incoming record, exactly as the broker returned it. */
export interface IncomingRecord {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeaders;
  timestamp: string;
}
