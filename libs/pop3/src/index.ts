export { Pop3Client } from './pop3-client.js';
export { probeMailbox } from './probe.js';
export { DEFAULT_LIMITS, DEFAULT_TIMEOUTS } from './connect-options.js';
export type {
  ListEntry,
  MailboxStat,
  Pop3ConnectOptions,
  Pop3Limits,
  Pop3Timeouts,
  Pop3TraceDirection,
  Pop3Transport,
  ProbeReport,
  ProbeStep,
  ProbeStepName,
  RetrieveManyOptions,
  RetrievedMessage,
  TlsMode,
  TlsPeerInfo,
  UidlEntry,
} from './types.js';
