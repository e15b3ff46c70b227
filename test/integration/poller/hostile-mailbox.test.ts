import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertConnector, waitFor } from '#test-support';
import { PollerTestContext } from '../../support/poller-fixture.js';
import { journalMessage, sha256 } from '../../support/poller-harness.js';
import { FakePop3Mailbox } from '../../support/poller-pop3-server.js';
import {
  answering,
  endlessAnswer,
  pop3Mailbox,
  startScriptedServer,
  type ScriptedServer,
} from '../../support/pop3-scripted-server.js';

/** A connector row for a scripted server on 127.0.0.1 (plain POP3), tracked by the context. */
async function plainConnector(ctx: PollerTestContext, port: number, name: string) {
  const connector = await insertConnector(ctx.dataSource, {
    mailboxName: 'journal',
    password: 'secret',
    description: name,
    host: '127.0.0.1',
    port,
    encrypted: false,
  });
  ctx.connectorIds.add(connector.id);
  return connector;
}

describe('poller against hostile and forgetful POP3 servers', () => {
  let ctx: PollerTestContext;
  const servers: Array<{ close(): Promise<void> }> = [];

  beforeAll(async () => {
    ctx = await PollerTestContext.open();
  });

  afterAll(async () => {
    await ctx?.close();
    for (const server of servers) await server.close();
  });

  it('a trickling server and an endless CAPA get a connector error and free the only session slot', async () => {
    const trickler: ScriptedServer = await startScriptedServer(
      pop3Mailbox({
        override: answering('STAT', async (connection) => {
          await connection.trickle('+OK 1 100', 50);
        }),
      }),
    );
    const endless: ScriptedServer = await startScriptedServer(
      pop3Mailbox({
        override: endlessAnswer('CAPA', `X-${'C'.repeat(500)}\r\n`),
      }),
    );
    const good = new FakePop3Mailbox([{ uid: 'good-1', data: journalMessage('good-1', 3000) }]);
    await good.start();
    servers.push(trickler, endless, { close: () => good.stop() });
    const slow = await plainConnector(ctx, trickler.port, 'trickler');
    const huge = await plainConnector(ctx, endless.port, 'endless capa');
    const fine = await plainConnector(ctx, good.port, 'good');

    await ctx.startPoller(
      { MAX_CONCURRENT_SESSIONS: '1', POP3_COMMAND_DEADLINE_MS: '1000', POP3_SESSION_DEADLINE_MS: '5000' },
      [slow.id, huge.id, fine.id],
    );
    const slowError = await waitFor('the trickler failed', () =>
      ctx.statusFor(slow.id).find((s) => s.lastError !== null),
    );
    expect(slowError.lastError?.code).toBe('deadline-exceeded');
    expect(slowError.lastError?.message).toMatch(/the response to STAT within its deadline of 1000 ms/);
    const hugeError = await waitFor('the endless CAPA failed', () =>
      ctx.statusFor(huge.id).find((s) => s.lastError !== null),
    );
    expect(hugeError.lastError?.code).toBe('response-too-large');
    // One session slot only: the good mailbox was worked after (or between) the hostile ones.
    await waitFor('the good mailbox drained', () => good.messages.length === 0);
    expect(ctx.rawFor(fine.id).map((r) => r.headers['jw-uidl'])).toEqual(['good-1']);
    expect(ctx.rawFor(slow.id)).toEqual([]);
    expect(ctx.rawFor(huge.id)).toEqual([]);
  });

  it('a UIDL reused after a QUIT whose +OK was lost is published, not deleted', async () => {
    const first = journalMessage('reuse-first', 2000);
    const second = journalMessage('reuse-second', 5000);
    const server = new FakePop3Mailbox([{ uid: '1', data: first }]);
    server.loseQuitReply = true;
    await server.start();
    servers.push({ close: () => server.stop() });
    const connector = await plainConnector(ctx, server.port, 'forgetful');
    await ctx.startPoller({}, [connector.id]);

    // Session 1 publishes UIDL "1"; the server commits its deletion but the client never hears the +OK.
    await waitFor('session 1 published and its QUIT committed', () => server.messages.length === 0);
    await waitFor('the first message on journal.raw.v2', () => ctx.rawFor(connector.id).length === 1);
    const rows = await ctx.ledgerRows(connector.id);
    expect(rows).toEqual([expect.objectContaining({ uidl: '1', deleted_at: null })]);

    // Session 2 is offered a different message under the same UIDL.
    server.loseQuitReply = false;
    server.messages = [{ uid: '1', data: second }];
    await waitFor('session 2 drained the mailbox', () => server.messages.length === 0);
    await waitFor('the second message on journal.raw.v2', () => ctx.rawFor(connector.id).length >= 2);
    const published = ctx.rawFor(connector.id).map((r) => r.headers['jw-sha256']);
    expect(published).toEqual([sha256(first), sha256(second)]);
    expect(server.retrievals.get('1')).toBe(2);
  });
});
