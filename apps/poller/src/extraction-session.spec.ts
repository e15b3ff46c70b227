import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { BlobStore } from '#blob-store';
import type { ClaimCheck } from '#contracts';
import { JournalwireError } from '#errors';
import { createLogger } from '#logger';
import { ledgerScopeOf, type ConnectorEntity } from '#persistence';
import type { ListEntry, MailboxStat, RetrievedMessage, UidlEntry } from '#pop3';
import { ExtractionSession, type MailboxConnection, type SessionDeps } from './extraction-session.js';
import {
  sameMessage,
  type LedgerEntry,
  type LedgerPort,
  type LedgerState,
  type RetrievalFailure,
  type RetrievalFailuresPort,
} from './ledger.js';
import type { BatchPublisher, ExtractedMessage, RawPublisherPort } from './raw-publisher.js';

const logger = createLogger({ service: 'poller-spec', level: 'silent' });

/** A mailbox with a command log: RETR, DELE, QUIT, DESTROY in the order the session issued them. */
class FakeMailbox implements MailboxConnection {
  readonly pipelining = true;
  readonly log: string[] = [];
  /** UIDLs the server answers -ERR for. */
  readonly refuse = new Set<string>();
  /** UIDLs whose RETR fails the connection with this error (a hostile server). */
  readonly breaks = new Map<string, JournalwireError>();
  /** UIDLs removed by a QUIT. */
  readonly committed = new Set<string>();
  private readonly marked = new Set<number>();

  constructor(public messages: Array<{ uid: string; data: Buffer }>) {}

  async stat(): Promise<MailboxStat> {
    return { count: this.messages.length, size: this.messages.reduce((s, m) => s + m.data.length, 0) };
  }
  async uidl(): Promise<UidlEntry[]> {
    return this.messages.map((m, i) => ({ msg: i + 1, uid: m.uid }));
  }
  async list(): Promise<ListEntry[]> {
    return this.messages.map((m, i) => ({ msg: i + 1, size: m.data.length }));
  }
  async retrStream(msg: number): Promise<Readable> {
    this.log.push(`RETR ${msg}`);
    const m = this.messages[msg - 1]!;
    if (this.refuse.has(m.uid)) throw new JournalwireError('server-permanent', `refused ${m.uid}`);
    return Readable.from([m.data]);
  }
  async *retrieveMany(msgs: readonly number[]): AsyncIterable<RetrievedMessage> {
    for (const msg of msgs) {
      this.log.push(`RETR ${msg}`);
      const m = this.messages[msg - 1]!;
      if (this.refuse.has(m.uid)) throw new JournalwireError('server-permanent', `refused ${m.uid}`);
      const broken = this.breaks.get(m.uid);
      if (broken) throw broken;
      yield { msg, data: m.data };
    }
  }
  async deleMany(msgs: readonly number[]): Promise<void> {
    for (const msg of msgs) {
      this.log.push(`DELE ${msg}`);
      this.marked.add(msg);
    }
  }
  /** Commits the DELEs: the messages go, and the next session numbers the rest from 1. */
  async quit(): Promise<void> {
    this.log.push('QUIT');
    for (const msg of this.marked) this.committed.add(this.messages[msg - 1]!.uid);
    this.messages = this.messages.filter((m) => !this.committed.has(m.uid));
    this.marked.clear();
  }
  destroy(): void {
    this.log.push('DESTROY');
  }
}

/** Rows without a scope belong to the connector's current one. */
class FakeLedger implements LedgerPort {
  readonly rows = new Map<string, LedgerState & { scope?: string }>();
  async lookup(_connectorId: string, scope: string, uidls: string[]): Promise<Map<string, LedgerState>> {
    const found = new Map<string, LedgerState>();
    for (const u of uidls) {
      const row = this.rows.get(u);
      if (row && (row.scope ?? scope) === scope) found.set(u, row);
    }
    return found;
  }
  async recordPublished(_connectorId: string, scope: string, entries: LedgerEntry[]): Promise<void> {
    for (const e of entries) {
      const row = this.rows.get(e.uidl);
      const listSize = e.listSize ?? e.size;
      if (!row || row.deletedAt || (row.scope ?? scope) !== scope || !sameMessage(row, listSize))
        this.rows.set(e.uidl, { sha256: e.sha256, size: e.size, listSize, deletedAt: null, scope });
    }
  }
  async markDeleted(_connectorId: string, _scope: string, uidls: string[]): Promise<void> {
    for (const u of uidls) this.rows.get(u)!.deletedAt = new Date();
  }
  async countPublished(): Promise<number> {
    return this.rows.size;
  }
  async lastPublishedAt(): Promise<Date | null> {
    return null;
  }
}

class FakeFailures implements RetrievalFailuresPort {
  readonly rows = new Map<string, RetrievalFailure>();
  async lookup(_c: string, _scope: string, uidls: string[]): Promise<Map<string, RetrievalFailure>> {
    return new Map(uidls.filter((u) => this.rows.has(u)).map((u) => [u, this.rows.get(u)!]));
  }
  async record(_c: string, _scope: string, uidl: string, error: string): Promise<number> {
    const attempts = (this.rows.get(uidl)?.attempts ?? 0) + 1;
    this.rows.set(uidl, { uidl, attempts, lastError: error });
    return attempts;
  }
  async clear(_c: string, uidls: string[]): Promise<void> {
    for (const u of uidls) this.rows.delete(u);
  }
  async clearAll(): Promise<void> {
    this.rows.clear();
  }
  async listSkipped(): Promise<RetrievalFailure[]> {
    return [];
  }
}

/** Commits up to `capacity` messages, then fails like a broker outage (the whole batch). */
class FakePublisher implements RawPublisherPort, BatchPublisher {
  readonly published: ExtractedMessage[] = [];
  opened = 0;
  closed = 0;
  constructor(
    private readonly ledger: FakeLedger,
    private readonly mailbox: FakeMailbox,
    public capacity = Number.POSITIVE_INFINITY,
  ) {}
  private scope = '';
  async open(_connectorId: string, scope: string): Promise<BatchPublisher> {
    this.opened++;
    this.scope = scope;
    return this;
  }
  async settleLeftover(): Promise<boolean> {
    return false;
  }
  async publish(messages: ExtractedMessage[]): Promise<void> {
    if (this.published.length + messages.length > this.capacity)
      throw new JournalwireError('kafka-unavailable', 'Kafka did not commit');
    this.mailbox.log.push(`COMMIT ${messages.map((m) => m.msg).join(',')}`);
    this.published.push(...messages);
    await this.ledger.recordPublished('c', this.scope, messages);
  }
  async close(): Promise<void> {
    this.closed++;
  }
}

class MemoryBlobStore implements BlobStore {
  readonly name = 'mem';
  readonly blobs = new Map<string, Buffer>();
  async putStream(source: Readable): Promise<ClaimCheck> {
    const parts: Buffer[] = [];
    for await (const part of source) parts.push(part as Buffer);
    return this.put(Buffer.concat(parts));
  }
  async put(bytes: Buffer): Promise<ClaimCheck> {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    this.blobs.set(sha256, bytes);
    return { store: this.name, key: sha256, sha256, size: bytes.length };
  }
  async get(reference: ClaimCheck): Promise<Buffer> {
    return this.blobs.get(reference.sha256)!;
  }
  getStream(reference: ClaimCheck): Readable {
    return Readable.from([this.blobs.get(reference.sha256)!]);
  }
}

function message(i: number, size = 100): { uid: string; data: Buffer } {
  return { uid: `uid-${i}`, data: Buffer.alloc(size, i) };
}

/** Runs `hook` before or after each publish of `t`'s publisher. */
function onEachPublish(t: ReturnType<typeof setup>, when: 'before' | 'after', hook: () => void): void {
  const original = t.publisher.publish.bind(t.publisher);
  t.publisher.publish = async (...args) => {
    if (when === 'before') hook();
    await original(...args);
    if (when === 'after') hook();
  };
}

function setup(
  options: {
    count?: number;
    sizes?: number[];
    capacity?: number;
    batch?: number;
    maxPerSession?: number;
    wrapUpAfterMs?: number;
  } = {},
) {
  const count = options.count ?? 7;
  const mailbox = new FakeMailbox(Array.from({ length: count }, (_, i) => message(i + 1, options.sizes?.[i] ?? 100)));
  const ledger = new FakeLedger();
  const failures = new FakeFailures();
  const publisher = new FakePublisher(ledger, mailbox, options.capacity);
  const blobStore = new MemoryBlobStore();
  const connector = {
    id: 'c',
    host: 'pop.example.com',
    mailboxName: 'journal',
    suspended: false,
    maxMessagesPerSession: options.maxPerSession ?? 500,
  } as ConnectorEntity;
  let suspended = false;
  let leaseHeld = true;
  let stop = false;
  const deps: SessionDeps = {
    connect: async () => mailbox,
    reloadConnector: async () => ({ ...connector, suspended }) as ConnectorEntity,
    ledger,
    failures,
    publisher,
    blobStore,
    settings: {
      maxRetrievalAttempts: 3,
      batchMaxMessages: options.batch ?? 3,
      batchMaxBytes: 1 << 20,
      inlineLimitBytes: 1000,
      retrieveWindow: 4,
      retrieveWindowBytes: 4 * 1024 * 1024,
      ...(options.wrapUpAfterMs === undefined ? {} : { wrapUpAfterMs: options.wrapUpAfterMs }),
    },
    logger,
  };
  const lease = {
    get held() {
      return leaseHeld;
    },
    lostReason: null,
  };
  const session = () =>
    new ExtractionSession(deps, connector, lease, { stopRequested: () => stop, signal: new AbortController().signal });
  return {
    mailbox,
    ledger,
    failures,
    publisher,
    blobStore,
    session,
    suspend: () => (suspended = true),
    loseLease: () => (leaseHeld = false),
    requestStop: () => (stop = true),
  };
}

describe('ExtractionSession', () => {
  it('wraps up before the session deadline: the batch in hand finishes, QUIT commits it, the rest waits', async () => {
    const t = setup({ count: 7, batch: 3, wrapUpAfterMs: 0 });
    const result = await t.session().run();
    expect(result).toMatchObject({ outcome: 'completed', extracted: 3, deleted: 3, moreRemaining: true });
    expect(t.mailbox.log.at(-1)).toBe('QUIT');
    expect(t.mailbox.messages.map((m) => m.uid)).toEqual(['uid-4', 'uid-5', 'uid-6', 'uid-7']);
  });

  it('DELEs a message only after Kafka acknowledged it, then QUITs and records the deletions', async () => {
    const t = setup();
    const result = await t.session().run();
    expect(result).toMatchObject({
      outcome: 'completed',
      extracted: 7,
      deleted: 7,
      mailboxQueue: 7,
      moreRemaining: false,
      error: null,
    });
    for (let msg = 1; msg <= 7; msg++) {
      const commit = t.mailbox.log.findIndex(
        (l) => l.startsWith('COMMIT') && l.slice(7).split(',').includes(String(msg)),
      );
      expect(commit).toBeGreaterThan(-1);
      expect(t.mailbox.log.indexOf(`DELE ${msg}`)).toBeGreaterThan(commit);
    }
    expect(t.mailbox.log.at(-1)).toBe('QUIT');
    expect([t.publisher.opened, t.publisher.closed]).toEqual([1, 1]);
    expect([...t.ledger.rows.values()].every((r) => r.deletedAt !== null)).toBe(true);
    expect(t.publisher.published.map((m) => m.uidl)).toEqual([
      'uid-1',
      'uid-2',
      'uid-3',
      'uid-4',
      'uid-5',
      'uid-6',
      'uid-7',
    ]);
  });

  it('when Kafka stops committing: deletes nothing unacknowledged, QUITs, reports kafka-unavailable', async () => {
    const t = setup({ capacity: 4 });
    const result = await t.session().run();
    expect(result.outcome).toBe('failed');
    expect(result.error?.code).toBe('kafka-unavailable');
    expect(result.extracted).toBe(3);
    expect([...t.mailbox.committed].sort()).toEqual(['uid-1', 'uid-2', 'uid-3']);
    expect(t.mailbox.log.filter((l) => l.startsWith('DELE'))).toEqual(['DELE 1', 'DELE 2', 'DELE 3']);
    expect(t.mailbox.log.at(-1)).toBe('QUIT');
  });

  it('only DELEs what the ledger has (published before a crash), and republishes a reused UIDL', async () => {
    const t = setup({ count: 4 });
    t.ledger.rows.set('uid-1', { sha256: 'x', size: 100, listSize: 100, deletedAt: null });
    t.ledger.rows.set('uid-2', { sha256: 'y', size: 100, listSize: 100, deletedAt: new Date() }); // uid reused
    const result = await t.session().run();
    expect(result.outcome).toBe('completed');
    expect(t.publisher.published.map((m) => m.uidl)).toEqual(['uid-2', 'uid-3', 'uid-4']);
    expect(t.mailbox.log).not.toContain('RETR 1');
    expect([...t.mailbox.committed].sort()).toEqual(['uid-1', 'uid-2', 'uid-3', 'uid-4']);
  });

  it('publishes, never just deletes, a ledger UIDL whose LIST size differs from what was published', async () => {
    const t = setup({ count: 3 });
    // uid-1 was published with another size and its QUIT's +OK was lost: a new message now has that UIDL.
    t.ledger.rows.set('uid-1', { sha256: 'x', size: 250, listSize: 250, deletedAt: null });
    // An older row without a LIST size is judged by its published size.
    t.ledger.rows.set('uid-2', { sha256: 'y', size: 100, listSize: null, deletedAt: null });
    const result = await t.session().run();
    expect(result.outcome).toBe('completed');
    expect(t.publisher.published.map((m) => m.uidl)).toEqual(['uid-1', 'uid-3']);
    expect(t.ledger.rows.get('uid-1')).toMatchObject({ size: 100, listSize: 100 });
    expect([...t.mailbox.committed].sort()).toEqual(['uid-1', 'uid-2', 'uid-3']);
  });

  it('starts a fresh ledger scope when the connector points at another host or mailbox', async () => {
    const t = setup({ count: 2 });
    const elsewhere = ledgerScopeOf({ host: 'other.example.com', mailboxName: 'journal' });
    t.ledger.rows.set('uid-1', { sha256: 'x', size: 100, listSize: 100, deletedAt: null, scope: elsewhere });
    t.ledger.rows.set('uid-2', { sha256: 'y', size: 100, listSize: 100, deletedAt: null });
    await t.session().run();
    expect(t.publisher.published.map((m) => m.uidl)).toEqual(['uid-1']);
    expect(t.ledger.rows.get('uid-1')?.scope).toBe(ledgerScopeOf({ host: 'POP.example.com', mailboxName: 'journal' }));
    expect(ledgerScopeOf({ host: 'pop.example.com', mailboxName: 'journal2' })).not.toBe(
      t.ledger.rows.get('uid-1')?.scope,
    );
  });

  it('skips a message the server keeps refusing, without blocking the others', async () => {
    const t = setup({ count: 5 });
    t.mailbox.refuse.add('uid-2');
    for (let attempt = 1; attempt <= 3; attempt++) {
      const result = await t.session().run();
      expect(result.outcome).toBe('completed');
      expect(result.skipped?.map((s) => s.uidl)).toEqual(attempt === 3 ? ['uid-2'] : []);
      expect(t.failures.rows.get('uid-2')?.attempts).toBe(attempt);
    }
    expect(t.publisher.published.map((m) => m.uidl).sort()).toEqual(['uid-1', 'uid-3', 'uid-4', 'uid-5']);
    expect(t.mailbox.messages.map((m) => m.uid)).toEqual(['uid-2']);
    t.mailbox.log.length = 0;
    const fourth = await t.session().run();
    expect(fourth.skipped).toEqual([{ uidl: 'uid-2', attempts: 3, error: 'refused uid-2' }]);
    expect(t.mailbox.log).toEqual(['QUIT']);
  });

  it('skips a message whose RETR keeps exceeding its deadline or size cap, after failing those sessions', async () => {
    const t = setup({ count: 3 });
    const slow = new JournalwireError('deadline-exceeded', 'RETR too slow', { details: { deadline: 'response' } });
    t.mailbox.breaks.set('uid-2', slow);
    for (let attempt = 1; attempt <= 3; attempt++) {
      const result = await t.session().run();
      expect(result).toMatchObject({ outcome: 'failed', error: { code: 'deadline-exceeded' } });
      expect(t.failures.rows.get('uid-2')?.attempts).toBe(attempt);
    }
    const fourth = await t.session().run();
    expect(fourth.outcome).toBe('completed');
    expect(fourth.skipped?.map((s) => s.uidl)).toEqual(['uid-2']);
    expect(t.publisher.published.map((m) => m.uidl)).toEqual(['uid-1', 'uid-3']);
    expect(t.mailbox.messages.map((m) => m.uid)).toEqual(['uid-2']);
  });

  it('does not count a session deadline against the message being retrieved', async () => {
    const t = setup({ count: 2 });
    const late = new JournalwireError('deadline-exceeded', 'session over', { details: { deadline: 'session' } });
    t.mailbox.breaks.set('uid-1', late);
    expect((await t.session().run()).outcome).toBe('failed');
    expect(t.failures.rows.size).toBe(0);
  });

  it('forgets earlier refusals of a message once it goes through', async () => {
    const t = setup({ count: 2 });
    t.mailbox.refuse.add('uid-2');
    await t.session().run();
    expect(t.failures.rows.get('uid-2')?.attempts).toBe(1);
    t.mailbox.refuse.clear();
    await t.session().run();
    expect(t.failures.rows.has('uid-2')).toBe(false);
    expect(t.mailbox.messages).toEqual([]);
  });

  it('streams messages above the inline limit into the blob store and publishes a claim check', async () => {
    const t = setup({ count: 3, sizes: [100, 5000, 100] });
    const result = await t.session().run();
    expect(result.outcome).toBe('completed');
    const large = t.publisher.published.find((m) => m.uidl === 'uid-2')!;
    expect(large.contentType).toBe('application/vnd.journalwire.claim-check+json');
    const claim = JSON.parse(large.value.toString()) as ClaimCheck;
    expect(claim.size).toBe(5000);
    expect(large.sha256).toBe(createHash('sha256').update(Buffer.alloc(5000, 2)).digest('hex'));
    expect(t.blobStore.blobs.get(claim.sha256)?.length).toBe(5000);
  });

  it('honours suspension at the next safe point: the current batch finishes, then QUIT', async () => {
    const t = setup({ count: 9, batch: 3 });
    onEachPublish(t, 'after', () => t.suspend());
    const result = await t.session().run();
    expect(result.outcome).toBe('suspended');
    expect(result.extracted).toBe(3);
    expect([...t.mailbox.committed].sort()).toEqual(['uid-1', 'uid-2', 'uid-3']);
    // The next batch was retrieved beside the commit, but is neither published nor DELEd.
    expect(t.publisher.published.map((m) => m.uidl)).toEqual(['uid-1', 'uid-2', 'uid-3']);
    expect(t.mailbox.log.filter((l) => l.startsWith('DELE'))).toEqual(['DELE 1', 'DELE 2', 'DELE 3']);
  });

  it('stops touching the mailbox once the lease is lost (no further RETR or DELE)', async () => {
    const t = setup({ count: 6, batch: 3 });
    onEachPublish(t, 'before', () => t.loseLease());
    const result = await t.session().run();
    expect(result.outcome).toBe('lease-lost');
    expect(t.mailbox.log.filter((l) => l.startsWith('DELE') || l === 'RETR 4')).toEqual([]);
  });

  it('stops at the next safe point on shutdown and reports the rest as remaining', async () => {
    const t = setup({ count: 6, batch: 3 });
    onEachPublish(t, 'after', () => t.requestStop());
    const result = await t.session().run();
    expect(result).toMatchObject({ outcome: 'stopped', extracted: 3, deleted: 3, moreRemaining: true });
  });

  it('takes at most maxMessagesPerSession and says more remain', async () => {
    const t = setup({ count: 5, maxPerSession: 2 });
    const result = await t.session().run();
    expect(result).toMatchObject({ outcome: 'completed', extracted: 2, moreRemaining: true });
  });

  describe('overlapping retrieval with the commit', () => {
    /** Holds each commit until released, logging when it starts. */
    function gatePublisher(t: ReturnType<typeof setup>) {
      const gates: Array<() => void> = [];
      let open = false;
      const original = t.publisher.publish.bind(t.publisher);
      t.publisher.publish = async (messages) => {
        t.mailbox.log.push(`BEGIN ${messages.map((m) => m.msg).join(',')}`);
        await new Promise<void>((resolve) => gates.push(resolve));
        await original(messages);
      };
      return {
        /** Releases commits as they come, once `when` says so. */
        releaseWhen(when: () => boolean): void {
          const timer = setInterval(() => {
            if (gates.length > 0 && (open || when())) gates.shift()!();
          }, 1);
          timer.unref();
        },
        /** Lets every commit through from now on. */
        openAll(): void {
          open = true;
        },
      };
    }

    it('retrieves batch N+1 while batch N commits, and DELEs batch N only after its commit', async () => {
      const t = setup({ count: 9, batch: 3 });
      const gate = gatePublisher(t);
      // A commit finishes only once the next batch's RETRs were sent: they ran beside it.
      gate.releaseWhen(() => {
        const begun = t.mailbox.log.filter((l) => l.startsWith('BEGIN')).length;
        return begun === 3 || t.mailbox.log.includes(`RETR ${begun * 3 + 3}`);
      });
      const result = await t.session().run();
      expect(result).toMatchObject({ outcome: 'completed', extracted: 9, deleted: 9 });
      const at = (line: string) => t.mailbox.log.indexOf(line);
      expect(at('RETR 4')).toBeGreaterThan(at('BEGIN 1,2,3'));
      expect(at('RETR 6')).toBeLessThan(at('COMMIT 1,2,3'));
      for (const [batch, commit] of [
        [[1, 2, 3], 'COMMIT 1,2,3'],
        [[4, 5, 6], 'COMMIT 4,5,6'],
        [[7, 8, 9], 'COMMIT 7,8,9'],
      ] as const) {
        for (const msg of batch) expect(at(`DELE ${msg}`)).toBeGreaterThan(at(commit));
      }
      expect(Object.keys(result.stages ?? {})).toEqual(
        expect.arrayContaining(['setup', 'retrieve', 'commit', 'dele', 'quit', 'waitingOnCommit']),
      );
      const { setup: total, setupConnect, setupList, setupLookup } = result.stages!;
      expect(setupConnect + setupList + setupLookup).toBeLessThanOrEqual(total + 3); // rounded parts of it
      expect(t.publisher.published.map((m) => m.msg)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    });

    it('a Kafka outage while the next batch is retrieved: nothing DELEd that was not committed', async () => {
      const t = setup({ count: 9, batch: 3, capacity: 3 });
      const gate = gatePublisher(t);
      gate.releaseWhen(() => {
        const begun = t.mailbox.log.filter((l) => l.startsWith('BEGIN')).length;
        return t.mailbox.log.includes(`RETR ${begun * 3 + 3}`);
      });
      const result = await t.session().run();
      expect(result).toMatchObject({ outcome: 'failed', error: { code: 'kafka-unavailable' }, extracted: 3 });
      // Batch 3 was retrieved beside batch 2's failed commit: neither is DELEd; QUIT keeps batch 1's DELEs.
      expect(t.mailbox.log).toContain('RETR 9');
      expect(t.mailbox.log.filter((l) => l.startsWith('DELE'))).toEqual(['DELE 1', 'DELE 2', 'DELE 3']);
      expect(t.mailbox.log.at(-1)).toBe('QUIT');
      expect(t.mailbox.messages.map((m) => m.uid)).toEqual(['uid-4', 'uid-5', 'uid-6', 'uid-7', 'uid-8', 'uid-9']);
      // The next session publishes the rest once: nothing lost, nothing twice.
      t.publisher.capacity = Number.POSITIVE_INFINITY;
      gate.openAll();
      expect((await t.session().run()).outcome).toBe('completed');
      expect(t.publisher.published.map((m) => m.uidl)).toEqual(Array.from({ length: 9 }, (_, i) => `uid-${i + 1}`));
      expect(t.mailbox.messages).toEqual([]);
    });

    it('a crash between commit and DELE: the next session DELEs the committed batch without publishing it again', async () => {
      const t = setup({ count: 6, batch: 3 });
      const dele = t.mailbox.deleMany.bind(t.mailbox);
      let crashed = false;
      t.mailbox.deleMany = async (msgs) => {
        if (!crashed) {
          crashed = true;
          throw new JournalwireError('connection-closed', 'the connection dropped');
        }
        return dele(msgs);
      };
      const first = await t.session().run();
      expect(first).toMatchObject({ outcome: 'failed', error: { code: 'connection-closed' }, deleted: 0 });
      expect(t.mailbox.log.at(-1)).toBe('DESTROY');
      expect(t.mailbox.messages).toHaveLength(6);
      expect(t.publisher.published.map((m) => m.uidl)).toEqual(['uid-1', 'uid-2', 'uid-3']);

      t.mailbox.log.length = 0;
      const second = await t.session().run();
      expect(second).toMatchObject({ outcome: 'completed', extracted: 3, deleted: 6 });
      expect(t.mailbox.log.slice(0, 3)).toEqual(['DELE 1', 'DELE 2', 'DELE 3']);
      expect(t.mailbox.log.filter((l) => /^RETR [123]$/.test(l))).toEqual([]);
      expect(t.publisher.published.map((m) => m.uidl)).toEqual(['uid-1', 'uid-2', 'uid-3', 'uid-4', 'uid-5', 'uid-6']);
      expect(t.mailbox.messages).toEqual([]);
    });
  });
});
