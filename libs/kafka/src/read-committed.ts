import { FetchIsolationLevels, type Consumer } from '@platformatic/kafka';

/** Not exported by name from the client. */
type FetchResponse = Awaited<ReturnType<Consumer['fetch']>>;

const IS_TRANSACTIONAL = 1 << 4;
const IS_CONTROL = 1 << 5;
/** Control record type of an abort marker (the key's second int16). */
const ABORT_MARKER = 0;

type FetchResponsePartition = FetchResponse['responses'][number]['partitions'][number];

/**
 * Empties the record batches of aborted transactions in a read-committed fetch response, as the
 * Java client skips them: walking the batches in offset order, a producer is in an aborted
 * transaction from the first offset the broker lists for it up to its abort marker.
 *
 * The batches stay, without records: the stream sets its next fetch offset from the last batch
 * of a response, so a response holding nothing but aborted batches (an aborted range larger than
 * a fetch, its abort marker further on) still moves the position. Removing them would fetch the
 * same range forever and stop the partition.
 *
 * @platformatic/kafka 2.12.1 filters these itself, but keys the aborted transactions by producer
 * id, so when one response holds two aborted transactions of the same producer (a processor whose
 * chunk was refused twice) only the last one is dropped and the first reaches read-committed
 * consumers; and it keeps a range whose abort marker is not in the same response. This runs after
 * its filter (which only ever drops aborted batches) and completes it.
 */
export function dropAbortedBatches(partition: FetchResponsePartition): void {
  const aborted = [...(partition.abortedTransactions ?? [])].sort((a, b) =>
    a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0,
  );
  if (aborted.length === 0 || !partition.records) return;
  const abortedProducers = new Set<bigint>();
  let next = 0;
  partition.records = partition.records.map((batch) => {
    const lastOffset = batch.firstOffset + BigInt(batch.lastOffsetDelta);
    while (next < aborted.length && aborted[next]!.firstOffset <= lastOffset)
      abortedProducers.add(aborted[next++]!.producerId);
    if (batch.attributes & IS_CONTROL) {
      if (batch.records[0]?.key?.readInt16BE(2) === ABORT_MARKER) abortedProducers.delete(batch.producerId);
      return batch;
    }
    const isAborted = batch.attributes & IS_TRANSACTIONAL && abortedProducers.has(batch.producerId);
    return isAborted ? { ...batch, records: [] } : batch;
  });
}

/** Makes `consumer`'s read-committed fetches drop every aborted transaction (see dropAbortedBatches). */
export function completeReadCommittedFiltering(consumer: Consumer): void {
  const fetch = consumer.fetch.bind(consumer) as (
    options: Parameters<Consumer['fetch']>[0],
    callback: (error: Error | null, response?: FetchResponse) => void,
  ) => void;
  const filter = (options: Parameters<Consumer['fetch']>[0], response: FetchResponse | undefined) => {
    const readCommitted =
      (options.isolationLevel ?? FetchIsolationLevels.READ_COMMITTED) === FetchIsolationLevels.READ_COMMITTED;
    if (!readCommitted || !response) return;
    for (const topic of response.responses) for (const partition of topic.partitions) dropAbortedBatches(partition);
  };
  consumer.fetch = ((
    options: Parameters<Consumer['fetch']>[0],
    callback?: (error: Error | null, response?: FetchResponse) => void,
  ) => {
    if (callback)
      return fetch(options, (error, response) => {
        if (!error) filter(options, response);
        callback(error, response);
      });
    return new Promise<FetchResponse>((resolve, reject) =>
      fetch(options, (error, response) => {
        if (error || !response) return reject(error ?? new Error('empty fetch response'));
        filter(options, response);
        resolve(response);
      }),
    );
  }) as Consumer['fetch'];
}
