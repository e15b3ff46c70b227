/**
 * Issue 14.5: the status service serves HTTPS and gRPC over TLS from SERVER_TLS_CERT_FILE and
 * SERVER_TLS_KEY_FILE (a certificate generated here, signed by a throw-away CA).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { credentials } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpsStatus } from '#test-support';
import { bearer, call, statusGrpcClient } from '../../support/status-grpc.js';
import {
  startStatusHarness,
  startStatusService,
  type PrivateDatabase,
  type StatusServiceHandle,
} from '../../support/status-harness.js';

const run = promisify(execFile);

async function generateCertificate(dir: string): Promise<{ ca: string; cert: string; key: string }> {
  const file = (name: string) => join(dir, name);
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=jw test CA',
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.pem'),
  ]);
  await run('openssl', [
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=127.0.0.1',
    '-keyout',
    file('server.key'),
    '-out',
    file('server.csr'),
  ]);
  writeFileSync(file('ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    file('server.csr'),
    '-CA',
    file('ca.pem'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    file('ext.cnf'),
    '-out',
    file('server.pem'),
  ]);
  return { ca: file('ca.pem'), cert: file('server.pem'), key: file('server.key') };
}

function getJson(url: string, ca: string, token: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest(
      url,
      { ca, servername: 'localhost', headers: { authorization: `Bearer ${token}` } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }),
        );
      },
    );
    request.on('error', reject);
    request.end();
  });
}

describe('status service: HTTPS and gRPC over TLS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jw-status-tls-'));
  let files: { ca: string; cert: string; key: string };
  let ca: string;
  let db: PrivateDatabase;
  let status: StatusServiceHandle;
  let token: string;

  beforeAll(async () => {
    files = await generateCertificate(dir);
    ca = readFileSync(files.ca, 'utf8');
    ({ db, status, token } = await startStatusHarness({
      tokenName: 'tls-reader',
      tokenOptions: { scope: 'read' },
      env: { SERVER_TLS_CERT_FILE: files.cert, SERVER_TLS_KEY_FILE: files.key },
      ca,
    }));
  });

  afterAll(async () => {
    await status?.service.stop();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the REST API over HTTPS with the configured certificate, and no plain HTTP', async () => {
    expect(status.service.baseUrl.startsWith('https://')).toBe(true);
    const response = await getJson(`${status.service.baseUrl}/v1/status`, ca, token);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ items: [] });
    await expect(httpsStatus(`${status.service.baseUrl}/health/live`, undefined)).rejects.toThrow(/certificate/);
    await expect(fetch(`${status.service.baseUrl.replace('https', 'http')}/health/live`)).rejects.toThrow();
  });

  it('serves gRPC over TLS; a plaintext client is refused', async () => {
    // The certificate's DNS name, not the address's IP: no IP as TLS ServerName (RFC 6066).
    const secure = statusGrpcClient(status.grpcAddress, credentials.createSsl(Buffer.from(ca)), 'localhost');
    const plain = statusGrpcClient(status.grpcAddress);
    try {
      const list = await call(secure.ListConnectorStatuses, secure, {}, bearer(token));
      expect(list.statuses).toEqual([]);
      await expect(call(plain.ListConnectorStatuses, plain, {}, bearer(token))).rejects.toMatchObject({ code: 14 });
    } finally {
      secure.close();
      plain.close();
    }
  });

  it('refuses to start with a certificate but no key', async () => {
    await expect(startStatusService(db.url, { SERVER_TLS_CERT_FILE: files.cert }, { ca })).rejects.toThrow(
      /exited with 1/,
    );
  });
});
