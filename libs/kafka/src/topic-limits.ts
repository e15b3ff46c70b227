import { isJournalwireError, JournalwireError, withDeadline } from '#errors';
import type { Logger } from '#logger';
import type { KafkaGateway } from './kafka-gateway.js';

/**
 * Fails with `config-invalid` when `setting` (the limit records are sized against) is larger than
 * the `max.message.bytes` of a topic it is used for.
 */
export async function expectTopicsFit(
  kafka: KafkaGateway,
  topics: string[],
  setting: { name: string; value: number },
): Promise<void> {
  const settings = await kafka.topicSettings(topics, ['max.message.bytes']);
  const below = settings.flatMap(({ topic, values }) => {
    const limit = Number(values.get('max.message.bytes'));
    return Number.isFinite(limit) && limit < setting.value ? [{ topic, maxMessageBytes: limit }] : [];
  });
  if (below.length === 0) return;
  const smallest = Math.min(...below.map((entry) => entry.maxMessageBytes));
  throw new JournalwireError(
    'config-invalid',
    `${setting.name} (${setting.value}) is larger than the max.message.bytes of ${below
      .map((entry) => `${entry.topic} (${entry.maxMessageBytes})`)
      .join(
        ', ',
      )}: records sized against it could be refused as too large. Set ${setting.name} to at most ${smallest}, or raise the topics' max.message.bytes`,
    { details: { setting: setting.name, value: setting.value, topics: below } },
  );
}

/**
 * `expectTopicsFit` at start-up: a mismatch fails the start with `config-invalid`; when Kafka does
 * not answer in time the service starts anyway (it waits for Kafka as always) and says the check
 * was left out.
 */
export async function checkTopicsFitAtStart(
  kafka: KafkaGateway,
  topics: string[],
  setting: { name: string; value: number },
  logger: Logger,
  timeoutMs = 10_000,
): Promise<void> {
  try {
    await withDeadline(
      expectTopicsFit(kafka, topics, setting),
      timeoutMs,
      () => new Error(`Kafka did not answer within ${timeoutMs} ms`),
    );
  } catch (error) {
    if (isJournalwireError(error, 'config-invalid')) throw error;
    logger.warn(
      { err: error, topics },
      `could not read the topics' max.message.bytes; ${setting.name} is not checked against them`,
    );
  }
}
