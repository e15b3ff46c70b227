import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { componentSchemas } from './components.js';

/** Serves the OpenAPI document at /docs (UI) and /docs-json (JSON), without a token. */
export function setupOpenApi(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('journalwire status and control API')
    .setDescription(
      'Journal service definitions (POP3 journal mailboxes), suspend/resume, Test Journal Extraction, Service Status, and the internal-address directory. ' +
        'Every /v1 route needs `Authorization: Bearer <token>` with a scope: read (GET), operate (suspend, resume, test extraction), admin (connectors, directory, tokens). Errors are `{ "error": code, "message": text, "fields"?: [{ field, message }] }`.',
    )
    .setVersion('1')
    .addBearerAuth()
    .build();
  const document = SwaggerModule.createDocument(app, config);
  document.components = {
    ...document.components,
    schemas: { ...(document.components?.schemas ?? {}), ...(componentSchemas() as Record<string, object>) },
  };
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}
