import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { parseArgs, promisify } from 'node:util';
import pg from 'pg';
import type { ConnectorStatusView } from '#contracts';
import {
  deliver,
  generateJournalReport,
  journalSize,
  Pipeline,
  seededRandom,
  testEnv,
  type ServiceName,
} from '#test-support';
import { rawPipelinedReader } from '../pop3/raw-reader.js';

// What the pipeline benchmarks share: the generated mailbox, a private database, the raw POP3
// ceiling measured in the same run, and CPU and memory read from /proc.

export const execFileAsync = promisify(execFile);

export interface BenchOptions {
  messages: number;
  seed: number;
  json: boolean;
  /** Steady load: messages delivered per second (with `seconds`), instead of one mailbox drained. */
  rate: number | null;
  seconds: number;
  /**
   * NODE_OPTIONS for the services only (`--node-options="--cpu-prof --cpu-prof-dir=DIR"`, or
   * `--heap-prof`): profiles of each service, written when it stops.
   */
  nodeOptions: string | null;
  /**
   * Reports drained through the started services before the measured drain (0: none): a fresh
   * broker spends its first tens of seconds compiling (JIT), which would count against the pipeline.
   */
  warmup: number;
  /**
   * Measured drains (each paired with a ceiling of its own), reported as medians with every run's
   * figures beside them: on this 2-core machine one run's CPU per message varies by up to a third.
   */
  repeat: number;
  /** Prints a progress line (nothing with --json). */
  log: (line: string) => void;
}

/**
 * `--messages N --seed S --json [--rate R --seconds S] [--warmup W] [--repeat N] [--node-options=FLAGS]`,
 * as every pipeline benchmark takes them.
 */
export function benchOptions(defaultMessages: number): BenchOptions {
  const { values } = parseArgs({
    options: {
      messages: { type: 'string', default: String(defaultMessages) },
      seed: { type: 'string', default: '42' },
      json: { type: 'boolean', default: false },
      rate: { type: 'string' },
      seconds: { type: 'string', default: '60' },
      warmup: { type: 'string', default: String(DEFAULT_WARMUP) },
      repeat: { type: 'string', default: '1' },
      'node-options': { type: 'string' },
    },
  });
  const json = values.json;
  const rate = values.rate === undefined ? null : Number(values.rate);
  const seconds = Number(values.seconds);
  if (rate !== null && !(rate > 0)) throw new Error(`--rate must be a positive number of messages per second`);
  if (!(seconds > 0)) throw new Error(`--seconds must be a positive number`);
  const warmup = Number(values.warmup);
  if (!Number.isInteger(warmup) || warmup < 0) throw new Error(`--warmup must be a whole number of reports (0: none)`);
  const repeat = Number(values.repeat);
  if (!Number.isInteger(repeat) || repeat < 1) throw new Error(`--repeat must be a whole number of runs (at least 1)`);
  return {
    messages: rate === null ? Number(values.messages) : Math.round(rate * seconds),
    seed: Number(values.seed),
    json,
    rate,
    seconds,
    nodeOptions: values['node-options'] ?? null,
    warmup,
    repeat,
    log: (line) => {
      if (!json) process.stdout.write(`${line}\n`);
    },
  };
}

/** Runs a benchmark's main, reporting a failure on stderr with exit code 1. */
export function runBench(name: string, main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    process.stderr.write(`${name}: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  });
}

/** Generates the benchmark's journal reports and says how large they are. */
export function benchReports(options: BenchOptions): { files: Buffer[]; totalBytes: number } {
  options.log(`generating ${options.messages} journal reports...`);
  const reports = generateReports(options.messages, options.seed);
  const mib = (reports.totalBytes / 1024 / 1024).toFixed(1);
  options.log(`  ${mib} MiB, mean ${(reports.totalBytes / options.messages / 1024).toFixed(1)} KiB`);
  return reports;
}

/** What a pipeline benchmark's body gets: its options, the reports, the raw ceiling, a pipeline not yet started. */
export interface PipelineBenchRun {
  options: BenchOptions;
  pipeline: Pipeline;
  files: Buffer[];
  totalBytes: number;
  ceiling: CeilingMeasurement;
}

/**
 * A pipeline benchmark (`npm run bench`, `bench:extract`): parses the options, generates the
 * reports, measures the raw POP3 ceiling on the same messages, then runs `body` with a pipeline
 * on a fresh database of its own.
 */
export function pipelineBench(
  name: string,
  setup: { messages: number; database: string; env?: Record<string, string>; repeatable?: boolean },
  body: (run: PipelineBenchRun) => Promise<void>,
): void {
  const options = benchOptions(setup.messages);
  runBench(name, async () => {
    if (options.repeat > 1 && !setup.repeatable) throw new Error(`--repeat is not supported by ${name}`);
    const { files, totalBytes } = benchReports(options);
    await withBenchPipeline(setup.database, { ...setup.env, ...serviceNodeOptions(options) }, async (pipeline) => {
      const ceiling = await measureCeiling(files, options.log);
      await body({ options, pipeline, files, totalBytes, ceiling });
    });
  });
}

/** The services' environment for `--node-options`. */
export function serviceNodeOptions(options: BenchOptions): Record<string, string> {
  return options.nodeOptions === null ? {} : { NODE_OPTIONS: options.nodeOptions };
}

/**
 * Reports drained before the measured drain by default. On a fresh broker the first 2,000 reports
 * take most of the JIT's compiling (measured: the broker's C2 threads used about 42 s of CPU over
 * four 20,000-report runs, nearly all of it in the first; ADR 0004).
 */
const DEFAULT_WARMUP = 2000;

/**
 * Drains `options.warmup` reports (of another seed) through the started `services` on a connector
 * of its own, then deletes that connector (its mailbox goes when the services stop): the broker's
 * and the services' warm-up (JIT, connections, caches) stays out of the measurement.
 * `drained(count)` says when a mailbox of `count` reports is done, as for the measured drain.
 */
export async function warmUp(
  pipeline: Pipeline,
  options: BenchOptions,
  services: ServiceName[],
  drained: (count: number) => (status: ConnectorStatusView, mailbox: string) => boolean | Promise<boolean>,
): Promise<void> {
  if (options.warmup === 0) return;
  options.log(`warming up with ${options.warmup} reports...`);
  const { files } = generateReports(options.warmup, options.seed + 1);
  const drain = await drainMailbox(pipeline, files, 'bench-warmup', services, drained(options.warmup));
  options.log(`  warm-up drained in ${drain.seconds.toFixed(1)} s`);
  await releaseDrain(pipeline, drain);
}

/** A drained bench connector: its id and mailbox, how long the drain took, where the CPU went, peak memory. */
export interface Drain {
  id: string;
  mailbox: string;
  seconds: number;
  cpu: Record<string, number>;
  /** Of each service's CPU seconds, those of its V8 worker threads (garbage collection, optimising compilers). */
  v8Workers: Record<string, number>;
  busySeconds: number;
  /** CPU seconds of the metered processes only: what other work on the machine does not inflate. */
  namedSeconds: number;
  machineBusy: number;
  peakRssMb: Record<string, number>;
}

/**
 * Delivers the reports to a new mailbox, creates a connector for it and waits (at most 30
 * minutes) until `drained` holds for its Service Status, metering time and the CPU of
 * `services`, Kafka and Dovecot from the connector's creation. The reports are released
 * (`files` emptied) once delivered.
 */
export async function drainMailbox(
  pipeline: Pipeline,
  files: Buffer[],
  name: string,
  services: ServiceName[],
  drained: (status: ConnectorStatusView, mailbox: string) => boolean | Promise<boolean>,
): Promise<Drain> {
  const meter = servicesCpuMeter(pipeline, services);
  let started = 0;
  const { id, mailbox } = await pipeline.connectorWithMailbox(files, benchConnectorSettings(name), () => {
    files.length = 0;
    meter.start();
    started = performance.now();
  });
  await waitForStatus(pipeline, id, (status) => drained(status, mailbox), `${name}: the mailbox did not drain`);
  const seconds = (performance.now() - started) / 1000;
  return { id, mailbox, seconds, ...meter.stop(), peakRssMb: servicesPeakRss(pipeline, services) };
}

/** Polls the connector's Service Status until `done` holds; gives up after 30 minutes with `failure`. */
export async function waitForStatus(
  pipeline: Pipeline,
  connectorId: string,
  done: (status: ConnectorStatusView) => boolean | Promise<boolean>,
  failure: string,
): Promise<void> {
  const deadline = performance.now() + 30 * 60_000;
  for (;;) {
    const status = await pipeline.status(connectorId).catch(() => undefined);
    if (status && (await done(status))) return;
    if (performance.now() > deadline) throw new Error(`${failure} within 30 minutes`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** A bench connector journals every message, so that each one ends archived. */
export function benchConnectorSettings(name: string): Record<string, unknown> {
  return {
    description: name,
    journalNonInternalAddresses: true,
    journalUnknownInternalAddresses: true,
    maxMessagesPerSession: 100000,
  };
}

/** A CPU meter over the pipeline's `services`, the broker and Dovecot. */
export function servicesCpuMeter(pipeline: Pipeline, services: ServiceName[]): CpuMeter {
  return new CpuMeter(
    {
      ...Object.fromEntries(services.map((service) => [service, pipeline.services.get(service)?.process.pid])),
      kafka: kafkaPid(),
      dovecot: dovecotPid(),
    },
    services,
  );
}

/** Peak resident memory of each of `services` so far, in MB. */
export function servicesPeakRss(pipeline: Pipeline, services: ServiceName[]): Record<string, number> {
  return Object.fromEntries(
    services.map((service) => [service, peakRssMb(pipeline.services.get(service)?.process.pid)]),
  );
}

/**
 * One raw reader's drain per measured drain: the run's own, then one more for each further
 * `--repeat` (measured before the services start).
 */
export async function measureCeilings(run: PipelineBenchRun): Promise<CeilingMeasurement[]> {
  const ceilings = [run.ceiling];
  while (ceilings.length < run.options.repeat) ceilings.push(await measureCeiling(run.files, run.options.log));
  return ceilings;
}

/** One measured drain, with the raw reader's drain measured for it. */
export interface DrainToMeasure {
  pipeline: Pipeline;
  drain: Drain;
  ceiling: CeilingMeasurement;
  /** Bytes of the drained reports. */
  totalBytes: number;
  messages: number;
}

/**
 * The measured drains: one per ceiling, of the run's reports first and then of other seeds (a
 * drain releases its reports once delivered), each after releasing the one before. Prints one
 * run's figures from `measure`, or with `--repeat` their medians (of every number, and of every
 * number inside each of `nested`) and each run's; then releases the last drain.
 */
export async function measuredDrains(
  run: PipelineBenchRun,
  ceilings: CeilingMeasurement[],
  nested: string[],
  drain: (files: Buffer[]) => Promise<Drain>,
  measure: (drained: DrainToMeasure) => Promise<Record<string, unknown>>,
): Promise<void> {
  const { pipeline, options } = run;
  const runs: Record<string, unknown>[] = [];
  let last: Drain | undefined;
  for (const [i, ceiling] of ceilings.entries()) {
    const reports = i === 0 ? run : benchReports({ ...options, seed: options.seed + i });
    if (last) await releaseDrain(pipeline, last);
    last = await drain(reports.files);
    runs.push(
      await measure({ pipeline, drain: last, ceiling, totalBytes: reports.totalBytes, messages: options.messages }),
    );
  }
  printResult(
    {
      messages: options.messages,
      warmup_messages: options.warmup,
      ...(runs.length === 1 ? runs[0] : { repeat: runs.length, ...medianOf(runs, nested), runs }),
    },
    options.json,
  );
  if (last) await releaseDrain(pipeline, last);
}

/** Mailboxes of released drains, deleted once the services have stopped (withBenchPipeline). */
const releasedMailboxes: string[] = [];

/**
 * Deletes a drained connector; its mailbox (empty by now) goes only when the services have
 * stopped. A session that began before the delete may still be logging in: with the mailbox gone
 * its login fails, and Dovecot then delays every login from this address for seconds, the next
 * drain's included (measured: a 4.6 s login in one drain of three).
 */
export async function releaseDrain(pipeline: Pipeline, drain: Drain): Promise<void> {
  await pipeline.api('DELETE', `/v1/connectors/${drain.id}?force=true`).catch(() => undefined);
  releasedMailboxes.push(drain.mailbox);
}

/**
 * Runs `body` with a pipeline (its services not yet started) on a fresh database of its own, so
 * that connectors other runs and tests left behind (some with wrong passwords, which make Dovecot
 * slow down every login from this address) do not share the poller; stops it afterwards.
 */
export async function withBenchPipeline(
  database: string,
  env: Record<string, string>,
  body: (pipeline: Pipeline) => Promise<void>,
): Promise<void> {
  const pipeline = new Pipeline({ ...env, DATABASE_URL: await freshDatabase(database) });
  try {
    await body(pipeline);
  } finally {
    await pipeline.stop();
    rmSync(pipeline.blobDir, { recursive: true, force: true });
    for (const mailbox of releasedMailboxes.splice(0))
      await execFileAsync('deploy/local/mailbox.sh', ['delete', mailbox]).catch(() => undefined);
  }
}

/** Journal reports of 2-120 KB (about 28 KB mean), the same for the same seed. */
export function generateReports(messages: number, seed: number): { files: Buffer[]; totalBytes: number } {
  const random = seededRandom(seed);
  const files: Buffer[] = [];
  let totalBytes = 0;
  for (let i = 0; i < messages; i++) {
    const report = generateJournalReport(i, journalSize(random), random).bytes;
    files.push(report);
    totalBytes += report.length;
  }
  return { files, totalBytes };
}

/**
 * Drops and recreates a database next to the test database, migrated; returns its URL. The test
 * database's suffix (`journalwire_test_X` → `NAME_X`) keeps stacks sharing one PostgreSQL apart.
 */
export async function freshDatabase(base: string): Promise<string> {
  const url = new URL(testEnv.databaseUrl);
  const suffix = /^\/journalwire_test(_\w+)$/.exec(url.pathname)?.[1] ?? '';
  const name = `${base}${suffix}`;
  url.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  url.pathname = `/${name}`;
  await execFileAsync(process.execPath, ['dist/scripts/migrate.js'], {
    env: { ...process.env, DATABASE_URL: url.toString(), LOG_LEVEL: 'warn' },
  });
  return url.toString();
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * User + system CPU seconds a process has used so far (0 when it is gone); with `children`, also
 * those of the children it has reaped (Dovecot's master reaps a process per POP3 session).
 */
/**
 * CPU seconds of a process; with `tree`, also of its descendants, the live ones (Dovecot's session
 * processes, reused between sessions, may outlive a run) and the ended ones it has reaped.
 */
export function cpuSeconds(pid: number | undefined, tree = false): number {
  if (!pid) return 0;
  const stat = procStat(pid);
  if (!stat) return 0;
  // utime, stime, cutime, cstime are fields 14-17 of /proc/PID/stat, in clock ticks (100 per second).
  const own = (stat.fields[11] ?? 0) + (stat.fields[12] ?? 0);
  if (!tree) return own / 100;
  let ticks = own + (stat.fields[13] ?? 0) + (stat.fields[14] ?? 0);
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    const child = Number(entry);
    const childStat = Number.isInteger(child) ? procStat(child) : undefined;
    if (childStat) children.set(child, childStat.fields);
  }
  const descend = (parent: number) => {
    for (const [child, fields] of children) {
      if (fields[1] !== parent) continue;
      ticks += (fields[11] ?? 0) + (fields[12] ?? 0) + (fields[13] ?? 0) + (fields[14] ?? 0);
      descend(child);
    }
  };
  descend(pid);
  return ticks / 100;
}

/** The numeric fields of /proc/PID/stat after the command name (index 1 is the parent pid). */
function procStat(pid: number, task?: string): { fields: number[] } | undefined {
  try {
    const path = task === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${task}/stat`;
    return { fields: readFileSync(path, 'utf8').split(') ')[1]!.split(' ').map(Number) };
  } catch {
    return undefined;
  }
}

/** CPU seconds of the threads of process `pid` whose name matches `name` (0 once it has ended). */
function threadCpuSeconds(pid: number | undefined, name: RegExp): number {
  if (!pid) return 0;
  let ticks = 0;
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      if (!name.test(readFileSync(`/proc/${pid}/task/${task}/comm`, 'utf8'))) continue;
      const stat = procStat(pid, task);
      ticks += (stat?.fields[11] ?? 0) + (stat?.fields[12] ?? 0);
    }
  } catch {
    return 0; // the process ended
  }
  return ticks / 100;
}

/**
 * CPU seconds of the JVM's JIT compiler threads in process `pid`: a fresh broker spends tens of
 * seconds compiling, which says nothing about what a message costs it once warm.
 */
export const jitCpuSeconds = (pid: number | undefined): number => threadCpuSeconds(pid, /^C[12] CompilerThre/);

/**
 * CPU seconds of a Node process's V8 worker threads: concurrent and parallel garbage collection
 * (marking, sweeping, scavenging) and the optimising compilers, beside the main thread.
 */
export const v8WorkerCpuSeconds = (pid: number | undefined): number => threadCpuSeconds(pid, /^V8Worker/);

/** Busy and total CPU ticks of the whole machine, from /proc/stat. */
export function machineCpu(): { busy: number; total: number } {
  const ticks = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = ticks.reduce((sum, t) => sum + t, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return { busy: total - idle, total };
}

export function pidFromFile(path: string): number | undefined {
  try {
    return Number(readFileSync(path, 'utf8').trim()) || undefined;
  } catch {
    return undefined;
  }
}

export function peakRssMb(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round(Number(match[1]) / 1024) : 0;
  } catch {
    return 0;
  }
}

export const dovecotPid = (): number | undefined => pidFromFile(`${testEnv.runDir}/dovecot/run/master.pid`);
export const kafkaPid = (): number | undefined => pidFromFile(`${testEnv.runDir}/kafka/kafka.pid`);

/** CPU seconds of named processes between `start()` and `stop()`, with the machine's busy share. */
export class CpuMeter {
  private before: Record<string, number> = {};
  private workersBefore: Record<string, number> = {};
  private machineBefore = machineCpu();

  /** `nodeServices`: the names in `pids` that are Node processes, whose V8 worker threads are also metered apart. */
  constructor(
    private readonly pids: Record<string, number | undefined>,
    private readonly nodeServices: string[] = [],
  ) {}

  start(): void {
    this.machineBefore = machineCpu();
    this.before = this.read();
    this.workersBefore = this.readV8Workers();
  }

  /**
   * Per process; `kafka_jit` is the broker's JIT compiler threads (not in `kafka`); `other` is
   * PostgreSQL, Redis, this script and the kernel.
   */
  stop(): Pick<Drain, 'cpu' | 'v8Workers' | 'busySeconds' | 'namedSeconds' | 'machineBusy'> {
    const machineAfter = machineCpu();
    const since = (now: Record<string, number>, before: Record<string, number>) =>
      Object.fromEntries(
        Object.entries(now).map(([name, seconds]) => [name, Number((seconds - (before[name] ?? 0)).toFixed(1))]),
      );
    const cpu = since(this.read(), this.before);
    const v8Workers = since(this.readV8Workers(), this.workersBefore);
    // /proc/stat counts in clock ticks too.
    const busySeconds = (machineAfter.busy - this.machineBefore.busy) / 100;
    const namedSeconds = Object.values(cpu).reduce((sum, v) => sum + v, 0);
    cpu.other = Number((busySeconds - namedSeconds).toFixed(1));
    const machineBusy = Number(
      ((machineAfter.busy - this.machineBefore.busy) / (machineAfter.total - this.machineBefore.total)).toFixed(2),
    );
    return { cpu, v8Workers, busySeconds, namedSeconds, machineBusy };
  }

  private readV8Workers(): Record<string, number> {
    return Object.fromEntries(this.nodeServices.map((name) => [name, v8WorkerCpuSeconds(this.pids[name])]));
  }

  private read(): Record<string, number> {
    const seconds = Object.fromEntries(
      Object.entries(this.pids).map(([name, pid]) => [name, cpuSeconds(pid, name === 'dovecot')]),
    );
    if ('kafka' in this.pids) {
      seconds.kafka_jit = jitCpuSeconds(this.pids.kafka);
      seconds.kafka = (seconds.kafka ?? 0) - seconds.kafka_jit;
    }
    return seconds;
  }
}

export interface CeilingMeasurement {
  msgsPerSecond: number;
  mbPerSecond: number;
  /** CPU seconds of the reader (this process) and of Dovecot while it read. */
  cpuSeconds: { reader: number; dovecot: number };
}

/**
 * The ceiling: the same messages in a mailbox of their own, drained by a minimal pipelined POP3S
 * reader (bench/pop3/raw-reader.ts). The mailbox is removed afterwards.
 */
export async function measureCeiling(files: Buffer[], log: (line: string) => void): Promise<CeilingMeasurement> {
  const ceilingBox = `bench-ceiling-${Date.now()}@contoso.test`;
  await execFileAsync('deploy/local/mailbox.sh', ['create', ceilingBox, 'bench-pass']);
  log(`delivering ${files.length} messages to the raw reader's mailbox...`);
  await deliver(ceilingBox, files);
  const dovecot = dovecotPid();
  const before = { reader: process.cpuUsage(), dovecot: cpuSeconds(dovecot, true) };
  const ceiling = await rawPipelinedReader(
    {
      host: testEnv.pop3Host,
      port: testEnv.pop3sPort,
      transport: 'pop3s',
      tlsMode: 'strict',
      ca: readFileSync(testEnv.pop3CaFile),
      username: ceilingBox,
      password: 'bench-pass',
    },
    files.length,
  );
  // Dovecot's share is counted once its session process has exited and been reaped.
  await new Promise((r) => setTimeout(r, 500));
  const readerCpu = process.cpuUsage(before.reader);
  const result: CeilingMeasurement = {
    msgsPerSecond: ceiling.messages / ceiling.seconds,
    mbPerSecond: ceiling.bytes / ceiling.seconds / 1024 / 1024,
    cpuSeconds: {
      reader: Number(((readerCpu.user + readerCpu.system) / 1e6).toFixed(1)),
      dovecot: Number((cpuSeconds(dovecot, true) - before.dovecot).toFixed(1)),
    },
  };
  log(`raw reader: ${result.msgsPerSecond.toFixed(0)} msgs/s (${result.mbPerSecond.toFixed(1)} MB/s)`);
  // Dovecot may still be closing the reader's session: removing the mailbox is best effort.
  await new Promise((r) => setTimeout(r, 1000));
  await execFileAsync('deploy/local/mailbox.sh', ['delete', ceilingBox]).catch(() => undefined);
  return result;
}

/** Prints a result as a markdown table, or as one JSON line with --json. */
export function printResult(result: Record<string, unknown>, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  process.stdout.write('\n| measure | value |\n|---|---|\n');
  for (const [key, value] of Object.entries(result))
    process.stdout.write(`| ${key} | ${typeof value === 'object' ? JSON.stringify(value) : String(value)} |\n`);
}

/**
 * The medians of repeated runs' figures: of every number, and of every number inside each of
 * `nested` (e.g. `cpu_seconds`); the sums of lost and duplicated messages; the last run's peak RSS
 * (a peak since each service started, so the last run's is the peak of all).
 */
export function medianOf(runs: Record<string, unknown>[], nested: string[]): Record<string, unknown> {
  const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    const value = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
    return Number(value.toFixed(3));
  };
  const numbersOf = (row: Record<string, unknown>) =>
    Object.entries(row).filter((entry): entry is [string, number] => typeof entry[1] === 'number');
  const first = runs[0] ?? {};
  const medians = (key: string) => {
    const of = (row: Record<string, unknown>) => (row[key] ?? {}) as Record<string, number>;
    return Object.fromEntries(
      Object.keys(of(first)).map((name) => [name, median(runs.map((row) => of(row)[name] ?? 0))]),
    );
  };
  return {
    ...Object.fromEntries(numbersOf(first).map(([key]) => [key, median(runs.map((row) => row[key] as number))])),
    lost: runs.reduce((sum, row) => sum + (row['lost'] as number), 0),
    duplicated: runs.reduce((sum, row) => sum + (row['duplicated'] as number), 0),
    peak_rss_mb: runs.at(-1)?.['peak_rss_mb'],
    ...Object.fromEntries(nested.map((key) => [key, medians(key)])),
  };
}
