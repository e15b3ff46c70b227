import { ServerCredentials } from '@grpc/grpc-js';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Transport, type GrpcOptions } from '@nestjs/microservices';
import { readServerTls } from '#config';
import { STATUS_PROTO_PACKAGE, STATUS_PROTO_PATH } from '#contracts';
import { runService } from '#platform';
import { loadStatusConfig } from './config.js';
import { serveConsole } from './console/serve-console.js';
import { setupOpenApi } from './openapi/setup.js';
import { StatusModule } from './status.module.js';

runService(
  'status',
  () => loadStatusConfig(),
  (config, logger) => StatusModule.register(config, logger),
  (config, logger) => {
    const tls = readServerTls(config);
    return {
      https: tls,
      configure: async (app) => {
        const express = app as NestExpressApplication;
        express.set('trust proxy', config.HTTP_TRUST_PROXY);
        // Registered before Nest's defaults, which then stand aside: larger bodies for imports, CSV as text.
        express.useBodyParser('json', { limit: '10mb' });
        express.useBodyParser('text', { type: ['text/csv', 'text/plain'], limit: '10mb' });
        setupOpenApi(app);
        serveConsole(express, logger);
        app.connectMicroservice<GrpcOptions>({
          transport: Transport.GRPC,
          options: {
            package: STATUS_PROTO_PACKAGE,
            protoPath: STATUS_PROTO_PATH,
            url: `${config.GRPC_HOST}:${config.GRPC_PORT}`,
            loader: { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true },
            ...(tls
              ? {
                  credentials: ServerCredentials.createSsl(
                    null,
                    [{ cert_chain: tls.cert, private_key: tls.key }],
                    false,
                  ),
                }
              : {}),
          },
        });
        await app.startAllMicroservices();
        logger.info({ host: config.GRPC_HOST, port: config.GRPC_PORT, tls: Boolean(tls) }, 'status gRPC listening');
      },
    };
  },
);
