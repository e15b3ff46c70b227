/**
 * Helpers for the status service's integration tests: a private PostgreSQL database per suite
 * (so no poller of another suite polls our connectors), API tokens, a started status service
 * with its gRPC port, a small REST client and a polling wait.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';
import { apiErrorBodySchema, type TokenScope } from '#contracts';
import { ApiTokenEntity, createDataSource, migrate } from '#persistence';
import { checkResponse } from './api-responses.js';
import { TEST_BLOB_DIR, testEnv, TEST_CREDENTIAL_KEY } from './env.js';
import { freePort, startService, type RunningService } from './service-process.js';

/** The Redis database the status tests use (FLUSHDB-ed by the rebuild test): not the shared 0. */
export const STATUS_TEST_REDIS_DB = Number(process.env.STATUS_TEST_REDIS_DB ?? 13);

export function statusRedisUrl(): string {
  const url = new URL(testEnv.redisUrl);
  url.pathname = `/${STATUS_TEST_REDIS_DB}`;
  return url.toString();
}

export function statusRedis(): Redis {
  return new Redis(statusRedisUrl());
}

export interface PrivateDatabase {
  url: string;
  dataSource: DataSource;
  drop(): Promise<void>;
}

/** A fresh, migrated database on the TEST_DATABASE_URL server, dropped by `drop()`. */
export async function createPrivateDatabase(prefix = 'jw_status_test'): Promise<PrivateDatabase> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  const admin = await createDataSource(testEnv.databaseUrl, { poolSize: 1 }).initialize();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.destroy();
  }
  const url = new URL(testEnv.databaseUrl);
  url.pathname = `/${name}`;
  const dataSource = await createDataSource(url.toString(), { poolSize: 2 }).initialize();
  await migrate(dataSource);
  return {
    url: url.toString(),
    dataSource,
    async drop() {
      await dataSource.destroy();
      const admin = await createDataSource(testEnv.databaseUrl, { poolSize: 1 }).initialize();
      try {
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await admin.destroy();
      }
    },
  };
}

/** Inserts an API token (as `npm run token -- create` does; scope admin unless given) and returns its secret. */
export async function createApiToken(
  dataSource: DataSource,
  name = `status-test-${randomUUID().slice(0, 8)}`,
  options: { revoked?: boolean; scope?: TokenScope; expiresAt?: Date } = {},
): Promise<string> {
  const secret = `jw_${randomBytes(24).toString('base64url')}`;
  await dataSource.getRepository(ApiTokenEntity).insert({
    name,
    scope: options.scope ?? 'admin',
    tokenSha256: createHash('sha256').update(secret).digest('hex'),
    revokedAt: options.revoked ? new Date() : null,
    expiresAt: options.expiresAt ?? null,
  });
  return secret;
}

export interface StatusServiceHandle {
  service: RunningService;
  grpcPort: number;
  grpcAddress: string;
}

/** Starts dist/apps/status with a private database, the status test Redis DB and a free gRPC port. */
export async function startStatusService(
  databaseUrl: string,
  env: Record<string, string> = {},
  options: { ca?: string } = {},
): Promise<StatusServiceHandle> {
  const grpcPort = await freePort();
  const service = await startService(
    'status',
    {
      DATABASE_URL: databaseUrl,
      REDIS_URL: statusRedisUrl(),
      CREDENTIAL_KEY: TEST_CREDENTIAL_KEY,
      BLOB_DIR: TEST_BLOB_DIR,
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: String(grpcPort),
      STATUS_CONSUMER_GROUP: `journalwire-status-test-${randomUUID().slice(0, 8)}`,
      STATUS_STATE_CHECK_MS: '1000',
      TEST_EXTRACTION_TIMEOUT_MS: '5000',
      ...env,
    },
    options,
  );
  return { service, grpcPort, grpcAddress: `127.0.0.1:${grpcPort}` };
}

export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

/** A tiny REST client: JSON in and out, bearer token when given. */
export function apiClient(baseUrl: string, token?: string) {
  return async function request<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    options: { contentType?: string; token?: string | null } = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = {};
    const bearer = options.token === undefined ? token : options.token;
    if (bearer) headers['authorization'] = `Bearer ${bearer}`;
    let payload: string | undefined;
    if (body !== undefined) {
      headers['content-type'] = options.contentType ?? 'application/json';
      payload = typeof body === 'string' ? body : JSON.stringify(body);
    }
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      ...(payload !== undefined ? { body: payload } : {}),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON (e.g. the Swagger UI)
    }
    // Every JSON response must have its documented shape (libs/contracts): errors the one error
    // body, successes their route's view.
    if (response.headers.get('content-type')?.includes('application/json')) {
      if (response.status >= 400) apiErrorBodySchema.parse(parsed);
      else if (response.status >= 200 && response.status < 300) checkResponse(method, path, parsed);
    }
    return { status: response.status, body: parsed as T, headers: response.headers };
  };
}
export type ApiClient = ReturnType<typeof apiClient>;

/** Creates a connector through the API and returns its id (fails the test unless it is a 201). */
export async function createConnector(api: ApiClient, input: Record<string, unknown>): Promise<string> {
  const response = await api<{ id: string }>('POST', '/v1/connectors', input);
  if (response.status !== 201)
    throw new Error(`creating a connector answered ${response.status}: ${JSON.stringify(response.body)}`);
  return response.body.id;
}

/** A connector's fields for `user`'s mailbox on the local Dovecot (POP3S), suspended so nothing polls it. */
export function dovecotConnector(user: string, password: string, description: string): Record<string, unknown> {
  return {
    description: `${description} ${randomUUID().slice(0, 8)}`,
    serviceEmailAddress: user,
    mailboxName: user,
    password,
    host: testEnv.pop3Host,
    port: testEnv.pop3sPort,
    suspended: true,
  };
}

export interface StatusHarness {
  db: PrivateDatabase;
  status: StatusServiceHandle;
  /** The secret of the token created for this suite. */
  token: string;
  /** A client of the started service carrying `token`. */
  api: ApiClient;
}

/**
 * The usual start of a status suite: a private database, an API token in it (admin unless
 * `tokenOptions` says otherwise), the status service on that database and a client with the token.
 * Drops the database again when the service does not start.
 */
export async function startStatusHarness(
  options: {
    tokenName?: string;
    tokenOptions?: Parameters<typeof createApiToken>[2];
    env?: Record<string, string>;
    databasePrefix?: string;
    ca?: string;
  } = {},
): Promise<StatusHarness> {
  const db = await createPrivateDatabase(options.databasePrefix);
  try {
    const token = await createApiToken(db.dataSource, options.tokenName, options.tokenOptions);
    const status = await startStatusService(db.url, options.env, options.ca === undefined ? {} : { ca: options.ca });
    return { db, status, token, api: apiClient(status.service.baseUrl, token) };
  } catch (error) {
    await db.drop();
    throw error;
  }
}

/** deploy/local/mailbox.sh with its trimmed output (creates, fills and counts Dovecot mailboxes). */
export const mailboxSh = (...args: string[]): Promise<string> =>
  promisify(execFile)(resolve('deploy/local/mailbox.sh'), args).then(({ stdout }) => stdout.trim());
