import { KafkaGateway } from '#kafka';
import { createLogger } from '#logger';
import { testKafka } from '#test-support';
import { benchOptions, generateReports, printResult, runBench } from '../support/measure.js';
import { CLIENT_NAMES } from './member.js';
import { zombieScenario, type FencingOutcome } from './scenario.js';
import { consumeProduceLoop, loopInput, type LoopFigures } from './throughput.js';

// npm run bench:fencing [-- --messages 2000 --seed 42 --json]
// Against the local broker (deploy/local) or the one KAFKA_* names (TLS and SASL included), for
// @platformatic/kafka through libs/kafka as the services use it (the kafkajs side was removed with
// kafkajs, its figures are in ADR 0004):
// (1) the zombie scenario of KIP-447 (scenario.ts): is a stalled instance's
// commit refused once its partition went to another instance, and how many outputs does a
// read-committed reader see; (2) a transactional consume-produce loop over the same journal-sized
// records (throughput.ts): messages per second and CPU per message of the client and the broker.
// Not a test: it asserts nothing; it reports.

const ZOMBIE_CHUNK = 20;

runBench('bench:fencing', async () => {
  const options = benchOptions(2000);
  const settings = testKafka('bench-fencing');
  const logger = createLogger({ service: 'bench-fencing', level: 'warn', destination: process.stderr });
  const kafka = new KafkaGateway(settings, logger);
  try {
    const { files, totalBytes } = generateReports(options.messages, options.seed);
    options.log(`records: ${files.length}, mean ${(totalBytes / files.length / 1024).toFixed(1)} KiB`);

    const fencing: FencingOutcome[] = [];
    for (const client of CLIENT_NAMES) {
      options.log(`zombie scenario, ${client} (A stalls past its 15 s session timeout)...`);
      fencing.push(await zombieScenario(kafka, client, settings, files.slice(0, ZOMBIE_CHUNK), options.log));
    }

    const loops: LoopFigures[] = [];
    const input = await loopInput(kafka, files);
    try {
      for (const client of CLIENT_NAMES) {
        options.log(`consume-produce loop, ${client}: ${files.length} records, 100 per transaction...`);
        loops.push(await consumeProduceLoop(kafka, client, settings, input, files.length));
      }
    } finally {
      await kafka.deleteTopics([input]).catch(() => undefined);
    }

    const result: Record<string, unknown> = { mean_kib: Number((totalBytes / files.length / 1024).toFixed(1)) };
    for (const outcome of fencing) {
      const { client, ...rest } = outcome;
      result[`fencing_${client}`] = rest;
      options.log(
        `${client}: zombie commit ${outcome.zombie_refused ? `refused (${outcome.zombie_errors.join(', ')})` : 'ACCEPTED'}; ` +
          `${outcome.outputs_visible} outputs visible for ${outcome.chunk} inputs (${outcome.duplicates} duplicates)`,
      );
    }
    for (const loop of loops) {
      const { client, ...rest } = loop;
      result[`loop_${client}`] = rest;
      options.log(
        `${client}: ${loop.msgs_per_s} msgs/s, client ${loop.client_cpu_ms_per_msg} ms CPU/msg, ` +
          `broker ${loop.broker_cpu_ms_per_msg} ms CPU/msg, ${loop.outputs_visible} outputs visible`,
      );
    }
    printResult(result, options.json);
  } finally {
    await kafka.closeAdmin();
    logger.flush();
  }
});
