import type { NestExpressApplication } from '@nestjs/platform-express';
import { Transport, type GrpcOptions } from '@nestjs/microservices';
import { STATUS_PROTO_PACKAGE, STATUS_PROTO_PATH } from '#contracts';
import { createLogger } from '#logger';
import { runMain, startService } from '#platform';
import { loadStatusConfig } from './config.js';
import { setupOpenApi } from './openapi/setup.js';
import { StatusModule } from './status.module.js';

runMain('status', async () => {
  const config = loadStatusConfig();
  const logger = createLogger({ service: 'status', level: config.LOG_LEVEL });
  await startService({
    service: 'status',
    module: StatusModule.register(config, logger),
    host: config.HTTP_HOST,
    port: config.HTTP_PORT,
    logger,
    tracing: { exporter: config.OTEL_TRACES_EXPORTER, otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT },
    configure: async (app) => {
      const express = app as NestExpressApplication;
      // Registered before Nest's defaults, which then stand aside: larger bodies for imports, CSV as text.
      express.useBodyParser('json', { limit: '10mb' });
      express.useBodyParser('text', { type: ['text/csv', 'text/plain'], limit: '10mb' });
      setupOpenApi(app);
      app.connectMicroservice<GrpcOptions>({
        transport: Transport.GRPC,
        options: {
          package: STATUS_PROTO_PACKAGE,
          protoPath: STATUS_PROTO_PATH,
          url: `${config.GRPC_HOST}:${config.GRPC_PORT}`,
          loader: { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true },
        },
      });
      await app.startAllMicroservices();
      logger.info({ host: config.GRPC_HOST, port: config.GRPC_PORT }, 'status gRPC listening');
    },
  });
});
