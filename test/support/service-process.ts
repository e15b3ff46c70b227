import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { get as httpsGet } from 'node:https';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { TEST_BLOB_DIR, testEnv } from './env.js';

export type ServiceName = 'poller' | 'envelope' | 'policy' | 'status';

export interface RunningService {
  name: ServiceName;
  port: number;
  baseUrl: string;
  process: ChildProcess;
  logFile: string;
  /** SIGTERM and wait for exit (SIGKILL after the timeout). */
  stop(timeoutMs?: number): Promise<number | null>;
  /** SIGKILL: a crash, no shutdown hooks. */
  kill(): Promise<void>;
}

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/**
 * The Node flags a service runs with, as the container image sets them (deploy/docker/Dockerfile,
 * NODE_OPTIONS): a young generation of 2 × 16 MB instead of V8's 2 × 32 MB on a large machine, about
 * 30 MB less resident memory per service for no measurable CPU (docs/operations.md, "Memory").
 */
export const SERVICE_NODE_FLAGS = ['--max-semi-space-size=16'];

/**
 * Starts a built service (dist/apps/NAME/src/main.js) as a separate process with the local
 * stack's endpoints plus `env`, and waits until /health/ready answers 200.
 */
export async function startService(
  name: ServiceName,
  env: Record<string, string> = {},
  options: {
    readyTimeoutMs?: number;
    /** PEM CA to trust when the service serves HTTPS (SERVER_TLS_*). */ ca?: string;
    onLogFile?: (file: string) => void;
  } = {},
): Promise<RunningService> {
  const port = await freePort();
  // The status service also listens for gRPC: a free port, so that parallel runs never clash on 50051.
  const grpc = name === 'status' ? { GRPC_PORT: String(await freePort()) } : {};
  const logDir = join(testEnv.runDir, 'test-logs');
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, `${name}-${port}.log`);
  const log = createWriteStream(logFile);
  options.onLogFile?.(logFile);
  // The defaults first: a caller's NODE_OPTIONS (a test's own semi-space size, a profiler) wins.
  const nodeOptions = [...SERVICE_NODE_FLAGS, env['NODE_OPTIONS'] ?? process.env['NODE_OPTIONS'] ?? '']
    .join(' ')
    .trim();
  const child = spawn(process.execPath, [resolve('dist/apps', name, 'src/main.js')], {
    env: {
      ...process.env,
      KAFKA_BROKERS: testEnv.kafkaBrokers.join(','),
      REDIS_URL: testEnv.redisUrl,
      DATABASE_URL: testEnv.databaseUrl,
      POP3_CA_FILE: testEnv.pop3CaFile,
      BLOB_DIR: TEST_BLOB_DIR,
      LOG_LEVEL: 'info',
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(port),
      ...grpc,
      ...env,
      NODE_OPTIONS: nodeOptions,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  const tls = Boolean(env['SERVER_TLS_CERT_FILE']);
  const baseUrl = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`${name} exited with ${child.exitCode} before it was ready; see ${logFile}`);
    try {
      if (
        tls
          ? (await httpsStatus(`${baseUrl}/health/ready`, options.ca)) === 200
          : (await fetch(`${baseUrl}/health/ready`)).ok
      )
        break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} was not ready in time; see ${logFile}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    name,
    port,
    baseUrl,
    process: child,
    logFile,
    async stop(timeoutMs = 20_000) {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    async kill() {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** GET over HTTPS trusting `ca`: the status code. */
export function httpsStatus(url: string, ca: string | undefined): Promise<number> {
  return new Promise((resolveStatus, reject) => {
    const request = httpsGet(url, { servername: 'localhost', ...(ca ? { ca } : {}) }, (response) => {
      response.resume();
      resolveStatus(response.statusCode ?? 0);
    });
    request.on('error', reject);
  });
}

export interface LogLine {
  time: string;
  level: string;
  msg: string;
  [field: string]: unknown;
}

/** The JSON log lines a service process wrote. */
export async function readLogLines(file: string): Promise<LogLine[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const lines: LogLine[] = [];
  for (const raw of text.split('\n')) {
    if (!raw.startsWith('{')) continue;
    try {
      lines.push(JSON.parse(raw) as LogLine);
    } catch {
      // a line cut by SIGKILL
    }
  }
  return lines;
}
