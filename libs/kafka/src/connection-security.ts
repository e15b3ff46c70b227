import { AuthenticationError, SASLMechanisms, type BaseOptions } from '@platformatic/kafka';
import { JournalwireError } from '#errors';
import type { KafkaSettings } from './kafka-gateway.js';

/** TLS and SASL of every client, from the settings libs/config builds. */
export function securityOptions(settings: KafkaSettings): Pick<BaseOptions, 'tls' | 'sasl'> {
  const options: Pick<BaseOptions, 'tls' | 'sasl'> = {};
  if (settings.tls) {
    const { ca, cert, key } = settings.tls;
    options.tls = { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) };
  }
  if (settings.sasl) {
    const { username, password } = settings.sasl;
    const mechanism =
      settings.sasl.mechanism === 'plain'
        ? SASLMechanisms.PLAIN
        : settings.sasl.mechanism === 'scram-sha-256'
          ? SASLMechanisms.SCRAM_SHA_256
          : SASLMechanisms.SCRAM_SHA_512;
    options.sasl = { mechanism, username, password };
  }
  return options;
}

/** A failed connect as a JournalwireError when it is about credentials or TLS; the error unchanged otherwise. */
export function describeConnectFailure(error: unknown, settings: KafkaSettings): unknown {
  if (!(error instanceof Error)) return error;
  const brokers = settings.brokers.join(',');
  if (causes(error).some((e) => e instanceof AuthenticationError)) {
    const who = settings.sasl ? ` as ${settings.sasl.username} (${settings.sasl.mechanism.toUpperCase()})` : '';
    return new JournalwireError(
      'authentication',
      `Kafka at ${brokers} refused the SASL login${who}: check KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD and KAFKA_SASL_MECHANISM (${error.message})`,
      { cause: error, retryable: false },
    );
  }
  const tlsCode = errorCodes(error).find((code) => /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL/.test(code));
  if (tlsCode)
    return new JournalwireError(
      tlsCode === 'ERR_TLS_CERT_ALTNAME_INVALID' ? 'tls-hostname' : 'tls-untrusted',
      `Kafka at ${brokers}: TLS failed (${tlsCode}); check KAFKA_SSL_CA_FILE and the brokers' certificates`,
      { cause: error, retryable: false },
    );
  return error;
}

/** An error, its causes and the errors it aggregates (the client wraps the socket's error, retries in a MultipleErrors). */
function causes(error: unknown, depth = 0): Error[] {
  if (!(error instanceof Error) || depth > 5) return [];
  const { cause, errors } = error as { cause?: unknown; errors?: unknown };
  const nested = Array.isArray(errors) ? errors.flatMap((e: unknown) => causes(e, depth + 1)) : [];
  return [error, ...causes(cause, depth + 1), ...nested];
}

/** The `code`s along an error's causes. */
function errorCodes(error: unknown): string[] {
  return causes(error).flatMap((e) => {
    const { code } = e as { code?: unknown };
    return typeof code === 'string' ? [code] : [];
  });
}
