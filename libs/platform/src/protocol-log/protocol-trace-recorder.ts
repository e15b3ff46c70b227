import type { ProtocolLogEntry, ProtocolLogKind, ProtocolLogLine } from '#contracts';
import { redactProtocolLine } from '#logger';

/** The bounds of the stored protocol log (the API documents them). */
export const PROTOCOL_LOG_LIMITS = {
  /** Sessions (and test extractions) kept per connector, newest first. */
  sessions: 20,
  /** Bytes of protocol lines kept per session: the first half and the last half, the middle counted. */
  bytesPerSession: 32 * 1024,
  /** Characters kept of one line (a hostile server may send long status lines). */
  lineChars: 512,
  /** A connector's log expires this long after its latest entry (a deleted connector's log too). */
  ttlSeconds: 7 * 24 * 3600,
} as const;

export interface TraceSecrets {
  username: string;
  password: string;
}

/**
 * Collects one session's POP3 trace, redacted and bounded. The POP3 client already masks PASS
 * and AUTH lines; this recorder additionally removes the password, its base64 and the AUTH PLAIN
 * payload from every line in either direction (a server may echo what it received).
 */
export class ProtocolTraceRecorder {
  private readonly startedAt = new Date();
  private readonly started = performance.now();
  private readonly secrets: string[];
  private readonly head: ProtocolLogLine[] = [];
  private headBytes = 0;
  private tail: ProtocolLogLine[] = [];
  private tailBytes = 0;
  private omitted = 0;

  constructor(
    readonly kind: ProtocolLogKind,
    secrets: TraceSecrets,
    private readonly limits: { bytesPerSession: number; lineChars: number } = PROTOCOL_LOG_LIMITS,
  ) {
    this.secrets = secretForms(secrets);
  }

  /** The trace callback for `Pop3ConnectOptions.trace`. */
  readonly record = (direction: 'client' | 'server', line: string): void => {
    const entry: ProtocolLogLine = {
      ms: Math.round((performance.now() - this.started) * 10) / 10,
      direction,
      line: this.clean(direction, line),
    };
    const bytes = entry.line.length + 32;
    const half = this.limits.bytesPerSession / 2;
    if (this.tail.length === 0 && this.headBytes + bytes <= half) {
      this.head.push(entry);
      this.headBytes += bytes;
      return;
    }
    this.tail.push(entry);
    this.tailBytes += bytes;
    let drop = 0;
    while (this.tailBytes > half && drop < this.tail.length) {
      this.tailBytes -= (this.tail[drop] as ProtocolLogLine).line.length + 32;
      drop += 1;
    }
    if (drop > 0) {
      this.omitted += drop;
      this.tail = this.tail.slice(drop);
    }
  };

  finish(outcome: string, error: { code: string; message: string } | null): ProtocolLogEntry {
    return {
      kind: this.kind,
      startedAt: this.startedAt.toISOString(),
      endedAt: new Date().toISOString(),
      outcome,
      error: error ? { code: error.code, message: this.scrub(error.message) } : null,
      lines: [...this.head, ...this.tail],
      omittedLines: this.omitted,
    };
  }

  private clean(direction: 'client' | 'server', line: string): string {
    const masked = direction === 'client' ? redactProtocolLine(line) : line;
    const scrubbed = this.scrub(masked);
    return scrubbed.length > this.limits.lineChars
      ? `${scrubbed.slice(0, this.limits.lineChars)}… [${scrubbed.length - this.limits.lineChars} more characters]`
      : scrubbed;
  }

  private scrub(text: string): string {
    let out = text;
    for (const secret of this.secrets) out = out.split(secret).join('[redacted]');
    return out;
  }
}

/** The password as sent in USER/PASS, in base64 alone, and inside the AUTH PLAIN payload. */
function secretForms({ username, password }: TraceSecrets): string[] {
  if (password.length === 0) return [];
  const forms = [
    Buffer.from(`\0${username}\0${password}`, 'utf8').toString('base64'),
    Buffer.from(password, 'utf8').toString('base64'),
    password,
  ];
  // Longest first, so a form containing another is removed whole.
  return [...new Set(forms)].sort((a, b) => b.length - a.length);
}
