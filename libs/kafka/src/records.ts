import type { IHeaders } from 'kafkajs';

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
  headers: IHeaders;
  timestamp: string;
}
