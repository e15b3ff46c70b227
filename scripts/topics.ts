import { z } from 'zod';
import { kafkaConnection, kafkaSection, loadConfig, positiveInt } from '#config';
import { topicSpecs } from '#contracts';
import { KafkaGateway } from '#kafka';
import { createLogger } from '#logger';
import { runCli } from './cli.js';

// npm run topics: creates every journalwire topic that is missing (idempotent).
runCli('topics', async () => {
  const config = loadConfig(z.object({ ...kafkaSection, TOPIC_PARTITIONS: positiveInt(6) }));
  const kafka = new KafkaGateway(
    kafkaConnection(config, 'journalwire-topics'),
    createLogger({ service: 'topics', level: 'warn' }),
  );
  const result = await kafka.ensureTopics(topicSpecs(config.TOPIC_PARTITIONS)).finally(() => kafka.closeAdmin());
  process.stdout.write(
    `created: ${result.created.join(', ') || '(none)'}\nexisting: ${result.existing.join(', ') || '(none)'}\n`,
  );
});
