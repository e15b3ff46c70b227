import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { DynamicModule, INestApplication } from '@nestjs/common';
import { createLogger, type Logger, type LoggerOptions } from '#logger';
import { NestLoggerAdapter } from './nest-logger.js';
import { initTracing, shutdownTracing, type TraceExporterKind } from './tracing.js';

export interface ServiceOptions {
  service: string;
  module: DynamicModule;
  host: string;
  port: number;
  logger: Logger;
  tracing?: { exporter: TraceExporterKind; otlpEndpoint?: string | undefined };
  /** Serve HTTPS with this certificate chain and key (PEM) instead of plain HTTP. */
  https?: { cert: Buffer; key: Buffer } | null;
  /** Runs after the app is created and before it listens (extra transports, Swagger...). */
  configure?: (app: INestApplication) => Promise<void> | void;
}

/**
 * Starts an app: structured logging, shutdown hooks (SIGTERM/SIGINT close every module),
 * and the HTTP listener that carries health, metrics and, for the status app, the API.
 */
export async function startService(options: ServiceOptions): Promise<INestApplication> {
  await initTracing(options.service, options.tracing?.exporter ?? 'none', options.tracing?.otlpEndpoint);
  const app = await NestFactory.create(options.module, {
    logger: new NestLoggerAdapter(options.logger),
    bufferLogs: false,
    ...(options.https ? { httpsOptions: { cert: options.https.cert, key: options.https.key } } : {}),
  });
  // On SIGTERM/SIGINT: close the app (every module's shutdown hooks run), then exit 0. Nest's own
  // enableShutdownHooks re-raises the signal instead, which reports as a kill, not a clean exit.
  const shutdown = (signal: NodeJS.Signals) => {
    options.logger.info({ signal }, `${options.service} shutting down`);
    const force = setTimeout(() => process.exit(1), 60_000);
    force.unref();
    app
      .close()
      .then(() => shutdownTracing())
      .then(
        () => exitAfterFlush(options.logger, 0),
        (error: unknown) => {
          options.logger.error({ err: error }, `${options.service} did not shut down cleanly`);
          exitAfterFlush(options.logger, 1);
        },
      );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  await options.configure?.(app);
  await app.listen(options.port, options.host);
  options.logger.info(
    { host: options.host, port: options.port, tls: Boolean(options.https) },
    `${options.service} listening`,
  );
  return app;
}

/** What every service's configuration has: its listener, log level and tracing. */
export interface ServiceConfig {
  HTTP_HOST: string;
  HTTP_PORT: number;
  LOG_LEVEL: LoggerOptions['level'];
  OTEL_TRACES_EXPORTER: TraceExporterKind;
  OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined;
}

/**
 * The main() of a service: loads its configuration, creates its logger and starts its module.
 * `extra` adds what one service needs besides (HTTPS, gRPC, Swagger...).
 */
export function runService<C extends ServiceConfig>(
  service: string,
  loadConfig: () => C,
  module: (config: C, logger: Logger) => DynamicModule,
  extra: (config: C, logger: Logger) => Partial<ServiceOptions> = () => ({}),
): void {
  runMain(service, async () => {
    const config = loadConfig();
    const logger = createLogger({ service, level: config.LOG_LEVEL });
    await startService({
      service,
      module: module(config, logger),
      host: config.HTTP_HOST,
      port: config.HTTP_PORT,
      logger,
      tracing: { exporter: config.OTEL_TRACES_EXPORTER, otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT },
      ...extra(config, logger),
    });
  });
}

/** Wraps a main(): a start-up failure is logged as one clear line and exits non-zero. */
export function runMain(service: string, main: () => Promise<unknown>): void {
  main().catch((error: unknown) => {
    const logger = createLogger({ service });
    logger.fatal(
      { err: error },
      `${service} failed to start: ${error instanceof Error ? error.message : String(error)}`,
    );
    logger.flush();
    setTimeout(() => process.exit(1), 100);
  });
}

function exitAfterFlush(logger: Logger, code: number): void {
  logger.info(code === 0 ? 'stopped' : 'stopped with errors');
  logger.flush(() => process.exit(code));
}
