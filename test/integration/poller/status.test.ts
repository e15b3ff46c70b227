import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readLogLines, testCipher, testEnv, updateConnector, waitFor } from '#test-support';
import { pollerSuite } from '../../support/poller-fixture.js';
import { generateMessages, journalMessage, mailbox, sha256 } from '../../support/poller-harness.js';
import { FakePop3Mailbox } from '../../support/poller-pop3-server.js';

describe('poller: connector status on journal.status.v1', () => {
  const suite = pollerSuite();

  it('reports authentication and TLS trust failures, extracting nothing; suspension and resumption', async () => {
    const ca = readFileSync(testEnv.pop3CaFile, 'utf8');
    // Trusts the test CA through its own setting, but logs in with the wrong password.
    const wrongPassword = await suite.ctx.connectorWithMailbox({ caCertificate: ca });
    await updateConnector(suite.ctx.dataSource, wrongPassword.connector.id, {
      passwordCiphertext: testCipher().encrypt('not-the-password', wrongPassword.connector.id),
    });
    // Strict TLS with no CA for the test certificate: the poller runs without POP3_CA_FILE.
    const untrusted = await suite.ctx.connectorWithMailbox({ encryptionMode: 'strict' });
    // Relaxed TLS accepts the same certificate; this one also gets suspended and resumed.
    const relaxed = await suite.ctx.connectorWithMailbox({ encryptionMode: 'relaxed', detailedLogging: true });
    const dir = await suite.ctx.scratch('status');
    const files = (await generateMessages(dir, 3, { maxSize: 4096 })).map((m) => m.file);
    for (const user of [wrongPassword.user, untrusted.user]) await mailbox.deliver(user, files);

    const poller = await suite.ctx.startPoller({ POP3_CA_FILE: '' });

    const auth = await waitFor(
      'an authentication error status',
      () => suite.ctx.statusFor(wrongPassword.connector.id).find((s) => s.state === 'error'),
      { timeoutMs: 30_000 },
    );
    expect(auth.lastError?.code).toBe('authentication');
    expect(auth.lastError?.message).toMatch(/password/i);
    expect(auth.extractedTotal).toBe(0);
    expect(auth.sessionExtracted).toBe(0);
    expect(auth.lastSuccessfulExtractAt).toBeNull();

    const tls = await waitFor(
      'a TLS trust error status',
      () => suite.ctx.statusFor(untrusted.connector.id).find((s) => s.state === 'error'),
      { timeoutMs: 30_000 },
    );
    expect(tls.lastError?.code).toBe('tls-untrusted');
    expect(tls.extractedTotal).toBe(0);

    expect(suite.ctx.rawFor(wrongPassword.connector.id)).toHaveLength(0);
    expect(suite.ctx.rawFor(untrusted.connector.id)).toHaveLength(0);
    expect(await mailbox.count(wrongPassword.user)).toBe(3);
    expect(await mailbox.count(untrusted.user)).toBe(3);

    // Relaxed mode: an ok session; detailed logging traces the protocol without credentials.
    await waitFor(
      'an ok status for the relaxed connector',
      () => suite.ctx.statusFor(relaxed.connector.id).find((s) => s.state === 'ok'),
      { timeoutMs: 30_000 },
    );
    const trace = (await readLogLines(poller.logFile)).filter(
      (l) => l.trace === 'pop3' && l.connectorId === relaxed.connector.id,
    );
    expect(trace.some((l) => l.direction === 'client' && String(l.line).startsWith('STAT'))).toBe(true);
    expect(trace.some((l) => l.direction === 'server' && String(l.line).startsWith('+OK'))).toBe(true);
    expect(JSON.stringify(trace)).not.toContain(relaxed.password);
    const plain = (await readLogLines(poller.logFile)).filter((l) => l.connectorId === wrongPassword.connector.id);
    expect(plain.some((l) => l.trace === 'pop3')).toBe(false);

    // Suspension: reported once; resuming clears the state and the next session reports afresh.
    await updateConnector(suite.ctx.dataSource, relaxed.connector.id, { suspended: true });
    await waitFor(
      'a suspended status',
      () => suite.ctx.statusFor(relaxed.connector.id).find((s) => s.state === 'suspended'),
      { timeoutMs: 30_000 },
    );
    await mailbox.deliver(relaxed.user, files);
    await new Promise((r) => setTimeout(r, 2000));
    expect(suite.ctx.statusFor(relaxed.connector.id).filter((s) => s.state === 'suspended')).toHaveLength(1);
    expect(await mailbox.count(relaxed.user)).toBe(3); // nothing extracted while suspended
    await updateConnector(suite.ctx.dataSource, relaxed.connector.id, { suspended: false });
    await waitFor('extraction after resuming', async () => (await mailbox.count(relaxed.user)) === 0, {
      timeoutMs: 30_000,
    });
    const after = await waitFor(
      'an ok status after resuming',
      () => suite.ctx.statusFor(relaxed.connector.id).find((s) => s.state === 'ok' && s.extractedTotal === 3),
      { timeoutMs: 30_000 },
    );
    expect(after.lastError).toBeNull();
  });

  it('waits twice as long after each refused login, and tries a corrected password at once', async () => {
    // Polled every second; Dovecot refuses the stored password.
    const refused = await suite.ctx.connectorWithMailbox({ pollIntervalSeconds: 1 });
    await updateConnector(suite.ctx.dataSource, refused.connector.id, {
      passwordCiphertext: testCipher().encrypt('not-the-password', refused.connector.id),
    });
    const dir = await suite.ctx.scratch('refused-login');
    const files = (await generateMessages(dir, 2, { maxSize: 4096 })).map((m) => m.file);
    await mailbox.deliver(refused.user, files);
    await suite.ctx.startPoller({}, [refused.connector.id]);

    const attempts = () =>
      suite.ctx
        .statusFor(refused.connector.id)
        .filter((s) => s.state === 'error' && s.lastError?.code === 'authentication')
        .map((s) => Date.parse(s.sessionStartedAt!));
    const started = await waitFor('four refused logins', () => (attempts().length >= 4 ? attempts() : undefined), {
      timeoutMs: 30_000,
    });
    // 1, 2 and 4 s apart (the scheduler never starts a session early), not every second.
    const gaps = started.slice(1, 4).map((at, i) => at - started[i]!);
    expect(gaps[0]).toBeGreaterThanOrEqual(1000);
    expect(gaps[1]).toBeGreaterThanOrEqual(2000);
    expect(gaps[2]).toBeGreaterThanOrEqual(4000);

    // The fifth attempt would wait 8 s; editing the connector (the right password) ends the wait.
    const fixedAt = Date.now();
    await updateConnector(suite.ctx.dataSource, refused.connector.id, {
      passwordCiphertext: testCipher().encrypt(refused.password, refused.connector.id),
    });
    const ok = await waitFor(
      'an ok status after the password was corrected',
      () => suite.ctx.statusFor(refused.connector.id).find((s) => s.state === 'ok' && s.extractedTotal === 2),
      { timeoutMs: 30_000 },
    );
    expect(Date.parse(ok.sessionStartedAt!)).toBeLessThan(fixedAt + 4000);
    expect(ok.lastError).toBeNull();
    expect(suite.ctx.rawFor(refused.connector.id)).toHaveLength(2);
  });

  it('skips a message the server keeps refusing (-ERR on RETR) after MAX_RETRIEVAL_ATTEMPTS, and reports it', async () => {
    const messages = Array.from({ length: 12 }, (_, i) => ({
      uid: `fake-${i + 1}`,
      data: journalMessage(`fake-${i + 1}`, 2000 + i * 100),
    }));
    const server = new FakePop3Mailbox(messages);
    server.refuse.add('fake-5');
    await server.start();
    try {
      const { connector } = await suite.ctx.connectorWithMailbox({
        host: '127.0.0.1',
        port: server.port,
        encrypted: false,
      });
      await suite.ctx.startPoller({ MAX_RETRIEVAL_ATTEMPTS: '3', RETRIEVE_WINDOW: '8' });
      const status = await waitFor(
        'a status listing the skipped message',
        () => suite.ctx.statusFor(connector.id).find((s) => s.skipped.length > 0),
        { timeoutMs: 30_000 },
      );
      expect(status.state).toBe('ok'); // one bad item does not fail the connector
      expect(status.skipped).toEqual([
        { uidl: 'fake-5', attempts: 3, error: expect.stringContaining('cannot be read') },
      ]);
      expect(server.messages.map((m) => m.uid)).toEqual(['fake-5']); // left in the mailbox
      await new Promise((r) => setTimeout(r, 1500));
      expect(server.retrievals.get('fake-5')).toBe(3); // and no longer tried
      const records = suite.ctx.rawFor(connector.id);
      expect(records.map((r) => r.headers['jw-uidl']).sort()).toEqual(
        messages
          .filter((m) => m.uid !== 'fake-5')
          .map((m) => m.uid)
          .sort(),
      );
      for (const record of records)
        expect(sha256(record.value!)).toBe(sha256(messages.find((m) => m.uid === record.headers['jw-uidl'])!.data));
    } finally {
      await server.stop();
    }
  });
});
