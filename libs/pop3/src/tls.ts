import { isIP } from 'node:net';
import {
  checkServerIdentity,
  createSecureContext,
  getCACertificates,
  type ConnectionOptions,
  type PeerCertificate,
  type SecureContext,
  type TLSSocket,
} from 'node:tls';
import { JournalwireError } from '#errors';
import { describeEndpoint, errnoCode, type Endpoint } from './errors.js';
import type { MinTlsVersion, TlsMode, TlsPeerInfo } from './types.js';

export const DEFAULT_MIN_TLS_VERSION: MinTlsVersion = 'TLSv1.2';
/** TLS 1.0 and 1.1 handshakes use SHA-1 and older suites, which OpenSSL 3 refuses above security level 0. */
const LEGACY_CIPHERS = 'DEFAULT:@SECLEVEL=0';

export interface TlsSettings {
  host: string;
  tlsMode: TlsMode;
  ca?: string | Buffer;
  servername?: string;
  minTlsVersion?: MinTlsVersion;
}

/** The warning a connector that allows TLS older than 1.2 carries (null at the default). */
export function legacyTlsWarning(minTlsVersion: MinTlsVersion | undefined): string | null {
  if (minTlsVersion === undefined || minTlsVersion === DEFAULT_MIN_TLS_VERSION) return null;
  return (
    `TLS versions down to ${minTlsVersion} are allowed (minTlsVersion), with the weaker cipher suites they need: ` +
    'use this only for a server that cannot speak TLS 1.2 (Exchange 2007/2010), and upgrade that server.'
  );
}

/** The name the certificate must be valid for. */
export function expectedServerName(settings: TlsSettings): string {
  return settings.servername ?? settings.host;
}

/**
 * Options for `tls.connect`. Verification is done by `verifyPeer` after the handshake rather than
 * by Node's `rejectUnauthorized`, so that a refusal can name the certificate it refused; nothing is
 * sent to the server before `verifyPeer` has passed.
 */
export function tlsConnectOptions(settings: TlsSettings): ConnectionOptions {
  const name = expectedServerName(settings);
  return {
    secureContext: secureContextFor(settings.ca, settings.minTlsVersion ?? DEFAULT_MIN_TLS_VERSION),
    // RFC 6066 forbids IP addresses as SNI.
    ...(isIP(name) === 0 ? { servername: name } : {}),
    rejectUnauthorized: false,
    checkServerIdentity: () => undefined,
  };
}

const secureContexts = new Map<string, SecureContext>();
let trustedRoots: string[] | undefined;

/**
 * System CAs (Node's default store plus the operating system's) and the extra bundle, with the
 * oldest TLS version allowed; cached per bundle and version.
 */
function secureContextFor(extraCa: string | Buffer | undefined, minVersion: MinTlsVersion): SecureContext {
  const bundle = extraCa === undefined ? '' : extraCa.toString();
  const key = `${minVersion}\n${bundle}`;
  let context = secureContexts.get(key);
  if (!context) {
    trustedRoots ??= [...new Set([...getCACertificates('default'), ...getCACertificates('system')])];
    context = createSecureContext({
      ca: bundle ? [...trustedRoots, bundle] : trustedRoots,
      minVersion,
      ...(minVersion === DEFAULT_MIN_TLS_VERSION ? {} : { ciphers: LEGACY_CIPHERS }),
    });
    if (secureContexts.size >= 32) secureContexts.clear();
    secureContexts.set(key, context);
  }
  return context;
}

export interface PeerVerification {
  peer: TlsPeerInfo;
  /** Why strict mode refuses this peer; null when it is acceptable (always null in relaxed mode). */
  refusal: JournalwireError | null;
}

/** Checks the chain (already verified by OpenSSL against our CAs) and the host name, and describes the peer. */
export function verifyPeer(socket: TLSSocket, settings: TlsSettings, endpoint: Endpoint): PeerVerification {
  const certificate = socket.getPeerCertificate();
  const chainError = socket.authorized ? null : String(socket.authorizationError ?? 'UNKNOWN_VERIFICATION_ERROR');
  const name = expectedServerName(settings);
  const hostnameError =
    chainError === null && hasCertificate(certificate) ? checkServerIdentity(name, certificate) : undefined;
  const authorizationError =
    chainError ?? (hostnameError ? (errnoCode(hostnameError) ?? 'ERR_TLS_CERT_ALTNAME_INVALID') : null);
  const peer: TlsPeerInfo = {
    protocol: socket.getProtocol(),
    subject: formatDistinguishedName(certificate.subject),
    issuer: formatDistinguishedName(certificate.issuer),
    fingerprint256: certificate.fingerprint256 ?? '',
    validFrom: certificate.valid_from ?? '',
    validTo: certificate.valid_to ?? '',
    authorized: authorizationError === null,
    authorizationError,
  };
  if (settings.tlsMode === 'relaxed' || peer.authorized) return { peer, refusal: null };

  const where = describeEndpoint(endpoint);
  const details = { host: endpoint.host, port: endpoint.port, servername: name, tls: peer };
  if (chainError !== null) {
    return { peer, refusal: untrustedCertificateError(where, chainError, peer, details) };
  }
  const validFor = certificate.subjectaltname || `CN=${String(certificate.subject?.CN ?? '')}`;
  return {
    peer,
    refusal: new JournalwireError(
      'tls-hostname',
      `The TLS certificate of ${where} is not valid for "${name}": it is valid for ${validFor} ` +
        `(subject ${peer.subject}, issuer ${peer.issuer}). Connect using one of those names, or set the TLS server name to one of them.`,
      { details: { ...details, validFor } },
    ),
  };
}

function untrustedCertificateError(
  where: string,
  chainError: string,
  peer: TlsPeerInfo,
  details: Record<string, unknown>,
): JournalwireError {
  const certificate = `subject ${peer.subject}, issuer ${peer.issuer}, SHA-256 fingerprint ${peer.fingerprint256}`;
  let reason: string;
  switch (chainError) {
    case 'CERT_HAS_EXPIRED':
      reason = `has expired (valid until ${peer.validTo}). Renew the server certificate`;
      break;
    case 'CERT_NOT_YET_VALID':
      reason = `is not valid yet (valid from ${peer.validFrom}). Check the clocks of the server and of this host`;
      break;
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
      reason = 'is self-signed. Add this certificate (PEM) to the CA bundle, or use relaxed TLS mode if you accept it';
      break;
    case 'SELF_SIGNED_CERT_IN_CHAIN':
      reason = `is issued by a private root CA ("${peer.issuer}") that is not trusted. Add that CA certificate (PEM) to the CA bundle`;
      break;
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
      reason = `is issued by "${peer.issuer}", which is not a trusted CA (or the server does not send the intermediate certificates). Add the issuing CA certificate (PEM) to the CA bundle`;
      break;
    default:
      reason = `could not be verified. Add the issuing CA certificate (PEM) to the CA bundle, or use relaxed TLS mode if you accept it`;
  }
  return new JournalwireError(
    'tls-untrusted',
    `The TLS certificate of ${where} is not trusted (${chainError}): it ${reason}. Certificate: ${certificate}.`,
    {
      details,
    },
  );
}

/** Maps a failure during the TLS handshake itself (no certificate to judge yet). */
export function tlsHandshakeError(
  endpoint: Endpoint,
  cause: unknown,
  minTlsVersion: MinTlsVersion = DEFAULT_MIN_TLS_VERSION,
): JournalwireError {
  const code = errnoCode(cause);
  const message = cause instanceof Error ? cause.message : String(cause);
  const hint = /wrong version number|packet length too long|http request/i.test(message)
    ? ' The port may not speak TLS: use STLS or plain transport for this port.'
    : /version|protocol/i.test(message)
      ? minTlsVersion === DEFAULT_MIN_TLS_VERSION
        ? ' The server may only support TLS versions older than 1.2, which are refused: for a server that ' +
          "cannot be upgraded (Exchange 2007/2010), set the connector's minTlsVersion to TLSv1."
        : ` The server may not support any TLS version from ${minTlsVersion} on.`
      : '';
  return new JournalwireError(
    'tls-failed',
    `The TLS handshake with ${describeEndpoint(endpoint)} failed: ${message}.${hint}`,
    {
      cause,
      details: { host: endpoint.host, port: endpoint.port, errno: code, minTlsVersion },
      retryable: code === 'ECONNRESET',
    },
  );
}

function hasCertificate(certificate: PeerCertificate): boolean {
  return Object.keys(certificate).length > 0;
}

function formatDistinguishedName(name: object | undefined): string {
  if (!name) return '';
  return Object.entries(name)
    .map(([key, value]: [string, unknown]) => `${key}=${Array.isArray(value) ? value.join('+') : String(value)}`)
    .join(', ');
}
