export { TLS_VERSIONS } from './types.js';
export { legacyTlsWarning } from './tls.js';
export { Pop3Client } from './pop3-client.js';
export { probeMailbox } from './probe.js';
export { DEFAULT_LIMITS, DEFAULT_TIMEOUTS } from './connect-options.js';
export type {
  ListEntry,
  MinTlsVersion,
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
