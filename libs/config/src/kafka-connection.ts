import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { JournalwireError } from '#errors';
import { bool, commaList } from './sections.js';

/** Environment variables of every Kafka client: brokers, TLS and SASL. */
export const kafkaSection = {
  KAFKA_BROKERS: commaList('127.0.0.1:19092').refine(
    (brokers) => brokers.length > 0 && brokers.every((b) => /^[^\s:]+:\d+$/.test(b)),
    'expected host:port[,host:port...]',
  ),
  KAFKA_CLIENT_ID: z.string().default('journalwire'),
  /** TLS to the brokers (a SASL_SSL or SSL listener). */
  KAFKA_SSL: bool(false),
  /** PEM bundle of the CAs that sign the brokers' certificates; the system CAs when unset. */
  KAFKA_SSL_CA_FILE: z.string().optional(),
  /** PEM client certificate and key, for brokers that require TLS client authentication. */
  KAFKA_SSL_CERT_FILE: z.string().optional(),
  KAFKA_SSL_KEY_FILE: z.string().optional(),
  KAFKA_SASL_MECHANISM: z
    .enum(['none', 'scram-sha-512', 'scram-sha-256', 'plain'], {
      message: 'expected none, scram-sha-512, scram-sha-256 or plain',
    })
    .default('none'),
  KAFKA_SASL_USERNAME: z.string().optional(),
  KAFKA_SASL_PASSWORD: z.string().optional(),
  /** A file holding the SASL password (a mounted secret); one trailing newline is ignored. */
  KAFKA_SASL_PASSWORD_FILE: z.string().optional(),
};

export type KafkaConfig = z.infer<z.ZodObject<typeof kafkaSection>>;

export type KafkaSaslMechanism = Exclude<KafkaConfig['KAFKA_SASL_MECHANISM'], 'none'>;

/** How a Kafka client connects, with files already read; the shape libs/kafka's gateway takes. */
export interface KafkaConnectionSettings {
  brokers: string[];
  clientId: string;
  /** Absent: plaintext. */
  tls?: { ca?: string; cert?: string; key?: string };
  /** Absent: no SASL. */
  sasl?: { mechanism: KafkaSaslMechanism; username: string; password: string };
}

/**
 * The connection settings of a Kafka client named `clientId` from validated configuration:
 * reads the CA, certificate, key and password files, and fails with the variable's name when a
 * combination is incomplete or a file is unreadable. Never puts a secret in an error message.
 */
export function kafkaConnection(config: KafkaConfig, clientId: string): KafkaConnectionSettings {
  const problems: string[] = [];
  const read = (variable: string, file: string | undefined): string | undefined => {
    if (file === undefined) return undefined;
    try {
      return readFileSync(file, 'utf8');
    } catch (error) {
      problems.push(`${variable}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
      return undefined;
    }
  };
  const settings: KafkaConnectionSettings = { brokers: config.KAFKA_BROKERS, clientId };

  const tlsFiles = [config.KAFKA_SSL_CA_FILE, config.KAFKA_SSL_CERT_FILE, config.KAFKA_SSL_KEY_FILE];
  if (!config.KAFKA_SSL && tlsFiles.some((file) => file !== undefined))
    problems.push('KAFKA_SSL: must be true when KAFKA_SSL_CA_FILE, KAFKA_SSL_CERT_FILE or KAFKA_SSL_KEY_FILE is set');
  if ((config.KAFKA_SSL_CERT_FILE === undefined) !== (config.KAFKA_SSL_KEY_FILE === undefined))
    problems.push('KAFKA_SSL_CERT_FILE, KAFKA_SSL_KEY_FILE: set both or neither');
  if (config.KAFKA_SSL) {
    const ca = read('KAFKA_SSL_CA_FILE', config.KAFKA_SSL_CA_FILE);
    const cert = read('KAFKA_SSL_CERT_FILE', config.KAFKA_SSL_CERT_FILE);
    const key = read('KAFKA_SSL_KEY_FILE', config.KAFKA_SSL_KEY_FILE);
    settings.tls = { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) };
  }

  const mechanism = config.KAFKA_SASL_MECHANISM;
  const hasPassword = config.KAFKA_SASL_PASSWORD !== undefined || config.KAFKA_SASL_PASSWORD_FILE !== undefined;
  if (mechanism === 'none') {
    if (config.KAFKA_SASL_USERNAME !== undefined || hasPassword)
      problems.push('KAFKA_SASL_MECHANISM: set it (scram-sha-512, scram-sha-256 or plain) to use a SASL username');
  } else {
    if (config.KAFKA_SASL_PASSWORD !== undefined && config.KAFKA_SASL_PASSWORD_FILE !== undefined)
      problems.push('KAFKA_SASL_PASSWORD, KAFKA_SASL_PASSWORD_FILE: set one, not both');
    if (!hasPassword) problems.push('KAFKA_SASL_PASSWORD: is required with KAFKA_SASL_MECHANISM (or _FILE)');
    if (config.KAFKA_SASL_USERNAME === undefined)
      problems.push('KAFKA_SASL_USERNAME: is required with KAFKA_SASL_MECHANISM');
    if (!config.KAFKA_SSL && mechanism === 'plain')
      problems.push('KAFKA_SSL: must be true with KAFKA_SASL_MECHANISM=plain (the password would travel in clear)');
    const password =
      config.KAFKA_SASL_PASSWORD ??
      read('KAFKA_SASL_PASSWORD_FILE', config.KAFKA_SASL_PASSWORD_FILE)?.replace(/\r?\n$/, '');
    if (password === '') problems.push('KAFKA_SASL_PASSWORD_FILE: the file is empty');
    if (password && config.KAFKA_SASL_USERNAME !== undefined)
      settings.sasl = { mechanism, username: config.KAFKA_SASL_USERNAME, password };
  }

  if (problems.length > 0)
    throw new JournalwireError('config-invalid', `Invalid configuration: ${problems.join('; ')}`, {
      details: { problems },
    });
  return settings;
}
