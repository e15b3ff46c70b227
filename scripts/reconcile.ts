import { parseArgs } from 'node:util';
import { z } from 'zod';
import { kafkaConnection, kafkaSection, loadConfig } from '#config';
import { KafkaGateway, reconcileConnector } from '#kafka';
import { createLogger } from '#logger';
import { runCli } from './cli.js';

// npm run reconcile -- --connector ID [--since ISO-TIME] [--json]: every raw record must have
// exactly one outcome. --since (no later than the connector's creation) skips older records.
runCli('reconcile', async (argv) => {
  const { values } = parseArgs({
    args: argv,
    options: { connector: { type: 'string' }, since: { type: 'string' }, json: { type: 'boolean', default: false } },
  });
  const since = values.since === undefined ? undefined : new Date(values.since);
  if (!values.connector || (since && Number.isNaN(since.getTime()))) {
    process.stderr.write('usage: npm run reconcile -- --connector ID [--since ISO-TIME] [--json]\n');
    return 2;
  }
  const config = loadConfig(z.object(kafkaSection));
  const kafka = new KafkaGateway(
    kafkaConnection(config, 'journalwire-reconcile'),
    createLogger({ service: 'reconcile', level: 'warn', destination: process.stderr }),
  );
  // The gateway's shared admin connection would keep the process alive.
  const report = await reconcileConnector(kafka, values.connector, since ? { since } : {}).finally(() =>
    kafka.closeAdmin(),
  );
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ connector: values.connector, ...report })}\n`);
  } else {
    const o = report.outcomes;
    process.stdout.write(
      [
        `connector      ${values.connector}`,
        `raw records    ${report.raw}`,
        `archived       ${o.archived}`,
        `merged         ${o.merged}`,
        `rejected       ${o.rejected}`,
        `dead-lettered  ${o['dead-lettered']}`,
        `missing        ${report.missing.length}`,
        `duplicated     ${report.duplicated.length}`,
        `archived twice ${report.archivedTwice.length}`,
        `replayed       ${report.replayed.length}`,
        ...report.missing.map(
          (m) => `  no outcome: partition ${m.ref.partition} offset ${m.ref.offset} uidl ${m.uidl} sha256 ${m.sha256}`,
        ),
        ...report.duplicated.map(
          (d) =>
            `  several outcomes: partition ${d.raw.ref.partition} offset ${d.raw.ref.offset}: ${d.outcomes.join(', ')}`,
        ),
        ...report.archivedTwice.map((id) => `  archived twice: ${id}`),
        ...report.replayed.map(
          (r) =>
            `  replay: partition ${r.ref.partition} offset ${r.ref.offset} (${r.outcomes.join(', ') || 'no outcome yet'})` +
            ` replays ${r.of.topic} partition ${r.of.partition} offset ${r.of.offset}` +
            (r.original
              ? ` of raw partition ${r.original.partition} offset ${r.original.offset} (${r.originalOutcomes.join(', ') || 'outside the range'})`
              : ''),
        ),
        report.ok ? 'OK: every raw record has exactly one outcome' : 'FAILED: conservation violated',
      ].join('\n') + '\n',
    );
  }
  return report.ok ? 0 : 1;
});
