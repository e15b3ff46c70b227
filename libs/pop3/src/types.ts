import type { ErrorCode } from '#errors';

/** Implicit TLS (default port 995) | STLS upgrade (usually 110) | plain, only when explicitly chosen. */
export type Pop3Transport = 'pop3s' | 'stls' | 'plain';

/** `strict`: the certificate chain and the host name must verify. `relaxed`: any certificate, still reported. */
export type TlsMode = 'strict' | 'relaxed';

export const TLS_VERSIONS = ['TLSv1', 'TLSv1.1', 'TLSv1.2'] as const;
/**
 * The oldest TLS version accepted. TLS 1.2 unless a connector opts in to an older one (Exchange
 * 2007/2010 speak TLS 1.0), which also enables the cipher suites it needs (OpenSSL security level 0).
 */
export type MinTlsVersion = (typeof TLS_VERSIONS)[number];

export interface Pop3Timeouts {
  /** Name resolution, TCP connect and TLS handshake (also the STLS handshake). Default 10 s. */
  connectMs?: number;
  /** Waiting for the server's greeting. Default 10 s. */
  greetingMs?: number;
  /** Longest silence while a command's response is awaited (not while a stream consumer applies backpressure). Default 60 s. */
  commandMs?: number;
  /**
   * Absolute deadline of one response, from the moment it is awaited to its last byte, however
   * steadily the server trickles (also the greeting's). Default 10 min.
   */
  commandDeadlineMs?: number;
  /** Absolute deadline of the whole session, from the name resolution on; then the connection is dropped. Default 60 min. */
  sessionMs?: number;
}

/**
 * Byte caps on what a server may send, so that a hostile or broken server cannot exhaust memory
 * or keep a session busy forever. Exceeding one fails the session with `response-too-large`.
 */
export interface Pop3Limits {
  /** CAPA response body. Default 64 KiB. */
  maxCapabilityBytes?: number;
  /** UIDL and LIST bodies. Default 32 MiB; after STAT, at most 128 bytes per message plus 64 KiB. */
  maxListingBytes?: number;
  /** Any RETR or TOP body, whatever LIST said. Default 512 MiB. */
  maxMessageBytes?: number;
  /**
   * Tolerance of a RETR over the message's LIST size (LIST sizes of some servers, Exchange among
   * them, are estimates): at most `LIST size × retrSizeFactor + retrSizeSlackBytes`.
   * Defaults 2 and 1 MiB.
   */
  retrSizeFactor?: number;
  retrSizeSlackBytes?: number;
}

export type Pop3TraceDirection = 'client' | 'server';

export interface Pop3ConnectOptions {
  host: string;
  port: number;
  transport: Pop3Transport;
  tlsMode: TlsMode;
  /** Extra trusted CA bundle (PEM) for strict mode, in addition to the system CAs. */
  ca?: string | Buffer;
  /** TLS SNI / host name to verify (default: host). */
  servername?: string;
  /** Default TLSv1.2; older versions only by explicit opt-in (for implicit TLS and STLS alike). */
  minTlsVersion?: MinTlsVersion;
  username: string;
  password: string;
  timeouts?: Pop3Timeouts;
  limits?: Pop3Limits;
  /** Protocol trace: command and status lines only, never message bodies, credentials redacted. */
  trace?: (direction: Pop3TraceDirection, line: string) => void;
}

export interface TlsPeerInfo {
  protocol: string | null;
  subject: string;
  issuer: string;
  fingerprint256: string;
  validFrom: string;
  validTo: string;
  /** True only when the chain verified and the certificate is valid for the host name. */
  authorized: boolean;
  /** The chain error code (e.g. `UNABLE_TO_VERIFY_LEAF_SIGNATURE`) or `ERR_TLS_CERT_ALTNAME_INVALID`. */
  authorizationError: string | null;
}

export interface MailboxStat {
  count: number;
  size: number;
}

export interface ListEntry {
  msg: number;
  size: number;
}

export interface UidlEntry {
  msg: number;
  uid: string;
}

export interface RetrievedMessage {
  msg: number;
  data: Buffer;
}

export interface RetrieveManyOptions {
  /** Outstanding RETR commands when the server advertises PIPELINING (default 128); 1 otherwise. */
  window?: number;
  /**
   * Listed bytes of the outstanding RETRs (default 4 MiB): what the server may send ahead of the
   * consumer. At least one RETR is outstanding whatever its size.
   */
  windowBytes?: number;
}

export type ProbeStepName =
  'name-resolution' | 'tcp' | 'tls' | 'greeting' | 'capabilities' | 'stls' | 'authentication' | 'stat';

export interface ProbeStep {
  step: ProbeStepName;
  ok: boolean;
  ms: number;
  detail?: string;
  tls?: TlsPeerInfo;
}

export interface ProbeReport {
  ok: boolean;
  steps: ProbeStep[];
  /** Settings that work but weaken the connection (e.g. TLS older than 1.2 allowed). */
  warnings: string[];
  error?: { code: ErrorCode; message: string };
  mailbox?: MailboxStat;
}
