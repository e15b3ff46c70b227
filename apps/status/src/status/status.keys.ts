/**
 * Redis layout of the status aggregator (all keys under `jw:status:`):
 *
 * - `jw:status:epoch` (string): marker of the state's generation. Missing or different from the
 *   one an instance adopted means Redis lost its state: the instance rebuilds from the topics.
 * - `jw:status:offsets` (hash): `<topic>:<partition>` → last applied offset. Written by the same
 *   Lua script, atomically, as the counter increments: replays are never counted twice.
 * - `jw:status:cluster` (string): id of the Kafka cluster the state was counted from; another
 *   cluster's id at start-up means the topics are not the ones counted: the instance rebuilds.
 * - `jw:status:connector:<id>` (hash): `snapshot` (latest journal.status.v1 record, JSON),
 *   `extracted`, `archived`, `rejected`, `deadLettered`, `merged` (counters), `updatedAt` (ISO,
 *   latest record time), `errorsResetAt` (ISO, last suspension: older errors are hidden).
 * - `jw:status:changes` (pub/sub channel): every status change, as the REST status JSON.
 */
export const STATUS_KEYS = {
  epoch: 'jw:status:epoch',
  offsets: 'jw:status:offsets',
  cluster: 'jw:status:cluster',
  connectorPrefix: 'jw:status:connector:',
  connector: (connectorId: string) => `jw:status:connector:${connectorId}`,
  changesChannel: 'jw:status:changes',
} as const;

/** Published (JSON `{ revision, at }`) after every directory change. */
export const DIRECTORY_CHANGED_CHANNEL = 'jw:directory-changed';

export const COUNTER_FIELDS = ['extracted', 'archived', 'rejected', 'deadLettered', 'merged'] as const;
export type CounterField = (typeof COUNTER_FIELDS)[number];
