import { afterAll, describe, expect, it } from 'vitest';
import { TOPICS } from '#contracts';
import { isJournalwireError } from '#errors';
import { checkTopicsFitAtStart, expectTopicsFit, KafkaGateway } from '#kafka';
import { createLogger } from '#logger';
import { SCRATCH_TOPICS, testKafka } from '#test-support';

// The limit records are sized against, checked at start-up against what the broker really allows.
describe('kafka: a configured record limit above a topic max.message.bytes is a configuration error', () => {
  const logger = createLogger({ service: 'topic-limits-test', level: 'silent' });
  const kafka = new KafkaGateway(testKafka('topic-limits-test'), logger);
  const small = SCRATCH_TOPICS.processorSmallOut;
  const setting = (value: number) => ({ name: 'KAFKA_MAX_MESSAGE_BYTES', value });

  afterAll(async () => {
    await kafka.closeAdmin();
  });

  it('names the topics that allow less, and how far to lower the setting', async () => {
    await kafka.ensureTopics([{ name: small, partitions: 1, config: { 'max.message.bytes': String(64 * 1024) } }]);
    const error: unknown = await expectTopicsFit(kafka, [TOPICS.classified, small], setting(2 * 1024 * 1024)).catch(
      (e: unknown) => e,
    );
    expect(isJournalwireError(error, 'config-invalid')).toBe(true);
    expect((error as Error).message).toBe(
      `KAFKA_MAX_MESSAGE_BYTES (2097152) is larger than the max.message.bytes of ${small} (65536): records sized against it could be refused as too large. Set KAFKA_MAX_MESSAGE_BYTES to at most 65536, or raise the topics' max.message.bytes`,
    );
    await expect(checkTopicsFitAtStart(kafka, [small], setting(64 * 1024 + 1), logger, 30_000)).rejects.toMatchObject({
      code: 'config-invalid',
    });
  });

  it('accepts a setting within every topic limit (the defaults against the journal topics)', async () => {
    await expect(expectTopicsFit(kafka, [small], setting(64 * 1024))).resolves.toBeUndefined();
    const outputs = [TOPICS.raw, TOPICS.classified, TOPICS.archived, TOPICS.rejected, TOPICS.dlq, TOPICS.progress];
    await expect(checkTopicsFitAtStart(kafka, outputs, setting(2 * 1024 * 1024), logger)).resolves.toBeUndefined();
  });
});
