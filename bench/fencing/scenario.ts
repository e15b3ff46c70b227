import { randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { headerString, readTopicsToEnd, type KafkaGateway, type KafkaSettings } from '#kafka';
import { kafkaErrorNames, outputsOf, type ClientName } from './member.js';
import { createMember, readRecords } from './members.js';
import type { ZombieData, ZombieReport } from './zombie-thread.js';

// The zombie scenario: A reads a chunk in group G and sends its outputs in a transaction, then
// stalls past its session timeout; B joins G, is given the partition and processes the same chunk;
// then A wakes and tries to add the offsets and commit. Fenced means A's commit is refused and a
// read-committed reader sees each input once on the output topic.

export interface FencingOutcome {
  client: ClientName;
  /** Was A's offsets-and-commit refused? */
  zombie_refused: boolean;
  /** The Kafka errors A's refusal named (empty when it committed). */
  zombie_errors: string[];
  zombie_message: string | null;
  /** Did B commit the same chunk? */
  successor_committed: boolean;
  chunk: number;
  /** Records a read-committed reader sees on the output topic, and how many are repeats of an input. */
  outputs_visible: number;
  duplicates: number;
  /** The group's committed position on the input afterwards. */
  committed_offset: string | null;
  /** Seconds A stalled (until B had committed). */
  stall_seconds: number;
  /** Milliseconds from A's wake to its commit's answer (success or refusal). */
  zombie_answer_ms: number;
}

export async function zombieScenario(
  kafka: KafkaGateway,
  client: ClientName,
  settings: KafkaSettings,
  inputs: Buffer[],
  log: (line: string) => void,
): Promise<FencingOutcome> {
  const run = `${client}-${Date.now()}-${randomUUID().slice(0, 6)}`;
  const input = `journalwire.bench.fencing-${run}-in`;
  const output = `journalwire.bench.fencing-${run}-out`;
  const groupId = `journalwire-bench-fencing-${run}`;
  await kafka.ensureTopics([
    { name: input, partitions: 1, config: {} },
    { name: output, partitions: 1, config: {} },
  ]);
  try {
    const producer = await kafka.createProducer();
    await producer.send(inputs.map((value, i) => ({ topic: input, key: `in-${i}`, value })));
    await producer.disconnect();

    const member = (name: string) => ({
      settings,
      clientId: `bench-${name}`,
      groupId,
      input,
      transactionalId: `${run}-${name}`,
    });
    const wake = new SharedArrayBuffer(4);
    const data: ZombieData = { client, member: member('A'), output, chunk: inputs.length, wake };
    const zombie = new Worker(new URL('./zombie-thread.js', import.meta.url), { workerData: data });
    const reports: ZombieReport[] = [];
    let reported: (() => void) | undefined;
    zombie.on('message', (message: ZombieReport) => {
      reports.push(message);
      reported?.();
    });
    zombie.on('error', (error) => {
      reports.push({ stage: 'failed', message: error.message });
      reported?.();
    });
    zombie.on('exit', (code) => {
      reports.push({ stage: 'failed', message: `instance A's thread exited (${code})` });
      reported?.();
    });
    const nextReport = async (): Promise<ZombieReport> => {
      while (reports.length === 0) await new Promise<void>((resolve) => (reported = resolve));
      return reports.shift()!;
    };

    const stalled = await nextReport();
    if (stalled.stage !== 'stalled') throw new Error(`instance A did not reach its stall: ${JSON.stringify(stalled)}`);
    log(`  ${client}: A read ${stalled.read} records, sent their outputs and stalls; B joins`);
    const stallStart = Date.now();
    let successorCommitted = false;
    const b = await createMember(client, member('B'));
    try {
      const records = await readRecords(b, inputs.length, 90_000);
      await b.produce(outputsOf(records, output));
      await b.commit(records[records.length - 1]!);
      successorCommitted = true;
      log(`  ${client}: B was given the partition and committed the same ${records.length} records`);
    } catch (error) {
      log(
        `  ${client}: B failed: ${kafkaErrorNames(error).join(',')} ${error instanceof Error ? error.message : String(error)}`,
      );
      await b.abort();
    } finally {
      await b.close();
    }
    const stallSeconds = (Date.now() - stallStart) / 1000;
    Atomics.store(new Int32Array(wake), 0, 1);
    Atomics.notify(new Int32Array(wake), 0);
    const woke = await nextReport();
    // Let A leave its group and close its connections; a thread that hangs there is stopped.
    const exited = new Promise<void>((resolve) => zombie.once('exit', () => resolve()));
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 20_000).unref())]);
    await zombie.terminate();
    if (woke.stage !== 'woke') throw new Error(`instance A failed after waking: ${JSON.stringify(woke)}`);
    log(`  ${client}: A woke and ${woke.committed ? 'COMMITTED' : `was refused (${woke.errors.join(', ')})`}`);

    const seen = new Map<string, number>();
    await readTopicsToEnd(kafka, [output], (record) => {
      const source = headerString(record.headers, 'src-offset') ?? '?';
      seen.set(source, (seen.get(source) ?? 0) + 1);
    });
    const visible = [...seen.values()].reduce((sum, n) => sum + n, 0);
    const committed = (await kafka.committedOffsets(groupId, [input]))[0]?.offset ?? null;
    await kafka.deleteGroups([groupId]).catch(() => undefined);
    return {
      client,
      zombie_refused: !woke.committed,
      zombie_errors: woke.committed ? [] : woke.errors,
      zombie_message: woke.committed ? null : woke.message,
      successor_committed: successorCommitted,
      chunk: inputs.length,
      outputs_visible: visible,
      duplicates: visible - seen.size,
      committed_offset: committed,
      stall_seconds: Number(stallSeconds.toFixed(1)),
      zombie_answer_ms: woke.ms,
    };
  } finally {
    await kafka.deleteTopics([input, output]).catch(() => undefined);
  }
}
