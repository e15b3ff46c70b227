import { createLogger } from '#logger';

/** Runs a command-line entry point: one clear error line and a non-zero exit on failure. */
export function runCli(name: string, main: (argv: string[]) => Promise<number | void>): void {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code ?? 0;
    },
    (error: unknown) => {
      const logger = createLogger({ service: name, destination: process.stderr });
      logger.error({ err: error }, error instanceof Error ? error.message : String(error));
      process.stderr.write(`${name}: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
