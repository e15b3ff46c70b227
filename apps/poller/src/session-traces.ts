import type { Logger } from '#logger';
import { ProtocolTraceRecorder, type ProtocolLogStore } from '#platform';
import type { Pop3ConnectOptions } from '#pop3';
import type { SessionResult } from './extraction-session.js';

type TraceSink = NonNullable<Pop3ConnectOptions['trace']>;

/**
 * Detailed logging's readable side: each session of a connector with detailedLogging on is
 * recorded (redacted, bounded) and stored in its protocol log when the session ends, where
 * GET /v1/connectors/:id/protocol-log reads it. One session per connector at a time (the lease).
 */
export class SessionTraces {
  private readonly open = new Map<string, ProtocolTraceRecorder>();

  constructor(
    private readonly store: Pick<ProtocolLogStore, 'append'>,
    private readonly logger: Logger,
  ) {}

  /** Starts recording the connector's session; the returned sink also feeds `alsoTo` (stdout). */
  begin(connectorId: string, options: Pop3ConnectOptions, alsoTo: TraceSink): TraceSink {
    const recorder = new ProtocolTraceRecorder('session', { username: options.username, password: options.password });
    this.open.set(connectorId, recorder);
    return (direction, line) => {
      recorder.record(direction, line);
      alsoTo(direction, line);
    };
  }

  /** Stores the connector's recorded session, if one was started. Never throws. */
  end(connectorId: string, result: SessionResult): void {
    const recorder = this.open.get(connectorId);
    if (!recorder) return;
    this.open.delete(connectorId);
    const error = result.error ? { code: result.error.code, message: result.error.message } : null;
    this.store
      .append(connectorId, recorder.finish(result.outcome, error))
      .catch((failure: unknown) =>
        this.logger.warn(
          { connectorId, err: failure },
          `protocol log: could not store the session trace (${failure instanceof Error ? failure.message : String(failure)})`,
        ),
      );
  }
}
