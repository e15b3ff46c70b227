import type { KafkaConfig } from 'kafkajs';
import { JournalwireError } from '#errors';
import type { KafkaSettings } from './kafka-gateway.js';

/** TLS and SASL of every client, from the settings libs/config builds. */
export function securityOptions(settings: KafkaSettings): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const options: Pick<KafkaConfig, 'ssl' | 'sasl'> = {};
  if (settings.tls) {
    const { ca, cert, key } = settings.tls;
    options.ssl = ca || cert ? { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) } : true;
  }
  if (settings.sasl) {
    const { username, password } = settings.sasl;
    options.sasl =
      settings.sasl.mechanism === 'plain'
        ? { mechanism: 'plain', username, password }
        : settings.sasl.mechanism === 'scram-sha-256'
          ? { mechanism: 'scram-sha-256', username, password }
          : { mechanism: 'scram-sha-512', username, password };
  }
  return options;
}

/** A failed connect as a JournalwireError when it is about credentials or TLS; the error unchanged otherwise. */
export function describeConnectFailure(error: unknown, settings: KafkaSettings): unknown {
  if (!(error instanceof Error)) return error;
  const brokers = settings.brokers.join(',');
  if (error.name === 'KafkaJSSASLAuthenticationError') {
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

/** The `code`s along an error's cause chain (kafkajs wraps the socket's error). */
function errorCodes(error: unknown): string[] {
  const codes: string[] = [];
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; depth++) {
    const { code, cause } = e as { code?: unknown; cause?: unknown };
    if (typeof code === 'string') codes.push(code);
    e = cause;
  }
  return codes;
}
