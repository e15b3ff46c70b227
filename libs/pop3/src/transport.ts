import { lookup } from 'node:dns/promises';
import { connect as connectTcp, isIP, type Socket } from 'node:net';
import { connect as connectTls, type TLSSocket } from 'node:tls';
import { withDeadline, type JournalwireError } from '#errors';
import { nameResolutionError, tcpConnectError, timeoutError, type Endpoint } from './errors.js';
import { tlsConnectOptions, tlsHandshakeError, verifyPeer, type TlsSettings } from './tls.js';
import type { TlsPeerInfo } from './types.js';

export interface ResolvedAddress {
  address: string;
  family: number;
}

export async function resolveHost(host: string, timeoutMs: number): Promise<ResolvedAddress> {
  const family = isIP(host);
  if (family !== 0) return { address: host, family };
  return withDeadline(
    lookup(host).catch((error: unknown) => {
      throw nameResolutionError(host, error);
    }),
    timeoutMs,
    () => nameResolutionError(host, new Error(`no answer within ${timeoutMs} ms`)),
  );
}

export function openTcp(address: ResolvedAddress, endpoint: Endpoint, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connectTcp({ host: address.address, port: endpoint.port, family: address.family });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(timeoutError(endpoint, 'the TCP connection', timeoutMs));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      socket.setNoDelay(true);
      socket.setKeepAlive(true, 30_000);
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(tcpConnectError(endpoint, error));
    });
  });
}

export interface SecuredSocket {
  socket: TLSSocket;
  peer: TlsPeerInfo;
}

/**
 * Runs the TLS handshake over a connected socket (implicit TLS or after STLS) and verifies the
 * peer. The socket is destroyed when the handshake fails or strict mode refuses the certificate.
 */
export function startTls(
  socket: Socket,
  settings: TlsSettings,
  endpoint: Endpoint,
  timeoutMs: number,
): Promise<SecuredSocket> {
  return new Promise((resolve, reject) => {
    // Failures surface on the TLS socket; the wrapped TCP socket must not throw an unhandled 'error'.
    socket.on('error', () => undefined);
    const secured = connectTls({ ...tlsConnectOptions(settings), socket });
    const fail = (error: JournalwireError): void => {
      clearTimeout(timer);
      secured.destroy();
      socket.destroy();
      reject(error);
    };
    const timer = setTimeout(() => fail(timeoutError(endpoint, 'the TLS handshake', timeoutMs)), timeoutMs);
    secured.once('secureConnect', () => {
      clearTimeout(timer);
      secured.removeAllListeners('error');
      const { peer, refusal } = verifyPeer(secured, settings, endpoint);
      if (refusal) {
        fail(refusal);
        return;
      }
      resolve({ socket: secured, peer });
    });
    secured.once('error', (error) => fail(tlsHandshakeError(endpoint, error, settings.minTlsVersion)));
  });
}
