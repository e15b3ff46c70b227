import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Logger } from '#logger';

/** Where `npm run build` puts the web console (apps/console → dist/console). */
export const CONSOLE_DIR = fileURLToPath(new URL('../../../../console', import.meta.url));

const HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

/**
 * Serves the operator console at /console (static files, no token: the page asks for one and
 * calls the same-origin API with it). Without a built console the service runs without it.
 */
export function serveConsole(app: NestExpressApplication, logger: Logger, dir = CONSOLE_DIR): void {
  if (!existsSync(join(dir, 'index.html'))) {
    logger.info({ dir }, 'web console not built (npm run build builds it): /console is not served');
    return;
  }
  app.useStaticAssets(dir, {
    prefix: '/console',
    index: 'index.html',
    fallthrough: true,
    setHeaders: (response, path) => {
      for (const [name, value] of Object.entries(HEADERS)) response.setHeader(name, value);
      // Hashed asset names never change content; index.html must be re-read after an upgrade.
      response.setHeader(
        'Cache-Control',
        path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
    },
  });
}
