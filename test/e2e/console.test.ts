import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliver, freePort, generateJournalReport, Pipeline, seededRandom, TEST_RUN_ID, testEnv } from '#test-support';
import { E2E_DIRECTORY } from './directory.js';

const run = promisify(execFile);
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** SCREENSHOT_DIR=docs/console refreshes the README's pictures; by default they go to the run dir. */
const SHOTS = process.env.SCREENSHOT_DIR ?? join(testEnv.runDir, 'console-screenshots');
const WAIT = { timeout: 120_000 };

describe('the web console in a real browser (Debian chromium)', () => {
  let pipeline: Pipeline;
  const tag = `console-${Date.now().toString(36)}`;
  let browser: Browser;
  let page: Page;
  let consoleUrl: string;
  let mailbox: string;
  let password: string;
  let goodId = '';

  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  const row = (id: string) => page.locator(`tr[data-connector="${id}"]`);
  /** At phone width (390 px) the screen fits: nothing scrolls sideways. Optionally its picture. */
  const fitsPhone = async (name?: string) => {
    await page.setViewportSize({ width: 390, height: 844 });
    await expect
      .poll(() => page.evaluate('document.documentElement.scrollWidth'), { timeout: 10_000, interval: 100 })
      .toBeLessThanOrEqual(390);
    if (name) await shot(name);
    await page.setViewportSize({ width: 1280, height: 900 });
  };

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    // Its own gRPC port: other stacks on this machine may hold the default one.
    pipeline = new Pipeline({ GRPC_PORT: String(await freePort()) });
    await pipeline.start();
    // Connectors wait (directory-empty) until the directory has an internal domain.
    await pipeline.api('POST', '/v1/directory/import', E2E_DIRECTORY);
    // The poller starts once the new definition has been seen awaiting its initial run.
    await pipeline.service('poller').stop();
    pipeline.services.delete('poller');
    mailbox = `${tag}@contoso.test`;
    password = `pw-${tag}`;
    await run('deploy/local/mailbox.sh', ['create', mailbox, password]);
    const random = seededRandom(17);
    await deliver(
      mailbox,
      Array.from({ length: 6 }, (_, i) => generateJournalReport(i, 2_000, random, `${TEST_RUN_ID}-${tag}`).bytes),
    );
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    consoleUrl = `${pipeline.service('status').baseUrl}/console/`;
  });

  afterAll(async () => {
    await browser?.close();
    await pipeline?.stop();
  });

  it('signs in with a pasted token and is reachable by keyboard', async () => {
    await page.goto(consoleUrl);
    await page.getByLabel('API token').fill('jw_wrong-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    await page.getByLabel('API token').fill(pipeline.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Journaling services' }).waitFor();
    expect(await page.evaluate('sessionStorage.getItem("journalwire.token")')).toBe(pipeline.token);
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Skip to content');
  });

  it('creates a definition with the form, showing the API’s validation message at the field', async () => {
    await page.getByRole('link', { name: 'New Journal Service Definition' }).click();
    await page.getByRole('heading', { level: 1, name: 'New journal service definition' }).waitFor();
    // Every control has a label a screen reader reads.
    const unlabelled = await page.evaluate(
      `[...document.querySelectorAll('input, select, textarea')]
        .filter((element) => element.labels.length === 0 && !element.getAttribute('aria-label'))
        .map((element) => element.outerHTML)`,
    );
    expect(unlabelled).toEqual([]);
    await page.getByLabel('Description').fill(`Exchange journal ${tag}`);
    await page.getByLabel('Service Email Address').fill('not an address');
    await page.getByLabel('Mailbox Name').fill(mailbox);
    await page.getByLabel('Password', { exact: true }).fill(password);
    expect(await page.getByLabel('Password', { exact: true }).getAttribute('type')).toBe('password');
    await page.getByLabel('Hostname / IP Address').fill(testEnv.pop3Host);
    await page.getByLabel('Port', { exact: true }).fill(String(testEnv.pop3sPort));
    await page.getByLabel('Poll interval (seconds)').fill('5');
    // Older TLS is an explicit opt-in, with a warning the select names in aria-describedby.
    const tls = page.getByLabel('Minimum TLS version');
    expect(await tls.inputValue()).toBe('TLSv1.2');
    expect(await page.locator('#f-minTlsVersion-warning').count()).toBe(0);
    await tls.selectOption('TLSv1');
    const tlsWarning = page.locator('#f-minTlsVersion-warning');
    expect(await tlsWarning.textContent()).toMatch(/Exchange 2007\/2010/);
    expect(await tls.getAttribute('aria-describedby')).toContain('f-minTlsVersion-warning');
    await tls.selectOption('TLSv1.2');
    expect(await tlsWarning.count()).toBe(0);
    expect(await page.getByLabel('Allow empty directory').isChecked()).toBe(false);
    await page.getByRole('button', { name: 'Save and Exit' }).click();

    const email = page.getByLabel('Service Email Address');
    await page.locator('#f-serviceEmailAddress-error').waitFor();
    expect(await email.getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#f-serviceEmailAddress-error').textContent()).toMatch(/e-mail address/);
    await expect.poll(() => page.evaluate('document.activeElement?.id')).toBe('f-serviceEmailAddress');
    await shot('definition-form');

    await email.fill('journal@contoso.com');
    await page.getByRole('button', { name: 'Save and Exit' }).click();
    await page.waitForURL(/#\/connectors\/[0-9a-f-]{36}$/);
    goodId = page.url().split('/').pop()!;
    await page.getByRole('heading', { level: 1, name: `Exchange journal ${tag}` }).waitFor();
  });

  it('shows it Awaiting initial run, then OK with empty queues while the poller drains the mailbox', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Journaling services' }).click();
    await page.getByLabel('Search').fill(tag);
    await row(goodId).locator('[data-status="awaiting-initial-run"]').waitFor(WAIT);
    expect(await row(goodId).locator('td[data-label="Last successful extract"]').textContent()).toBe(
      'Awaiting initial run',
    );

    await pipeline.startOne('poller');
    await row(goodId).locator('[data-status="ok"]').waitFor(WAIT);
    const queues = () =>
      Promise.all(
        ['Processing queue', 'POP3 mailbox queue'].map((label) =>
          row(goodId).locator(`td[data-label="${label}"]`).textContent(),
        ),
      );
    await expect.poll(queues, { timeout: WAIT.timeout, interval: 500 }).toEqual(['0', '0']);
    const status = await pipeline.status(goodId);
    expect(status.counters.extracted).toBe(6);
    expect(status.pop3MailboxQueue).toBe(0);
  });

  it('runs Test Journal Extraction with a wrong password and shows the failing step', async () => {
    const bad = await pipeline.api<{ id: string }>('POST', '/v1/connectors', {
      description: `Wrong password ${tag}`,
      serviceEmailAddress: 'journal@contoso.com',
      mailboxName: mailbox,
      password: 'not-the-password',
      host: testEnv.pop3Host,
      port: testEnv.pop3sPort,
      pollIntervalSeconds: 3600,
      // An opted-in older TLS (Dovecot still negotiates its best) and the protocol log on.
      minTlsVersion: 'TLSv1',
      detailedLogging: true,
    });
    await page.goto(`${consoleUrl}#/connectors/${bad.id}`);
    expect(await page.getByTestId('status-warnings').textContent()).toMatch(/TLSv1 .*Exchange 2007\/2010/);
    await page.getByRole('button', { name: 'Test Journal Extraction' }).click();
    const failed = page.locator('li[data-step="authentication"][data-ok="false"]');
    await failed.waitFor(WAIT);
    expect(await failed.textContent()).toContain('failed');
    for (const step of ['name-resolution', 'tcp', 'tls', 'greeting'])
      expect(await page.locator(`li[data-step="${step}"]`).getAttribute('data-ok'), step).toBe('true');
    await page.getByRole('heading', { name: /Test Journal Extraction: failed/ }).waitFor();
    expect(await page.getByTestId('test-warnings').textContent()).toMatch(/TLSv1/);
    // The test's POP3 conversation, redacted, in the protocol log.
    const entry = page.locator('details[data-kind="test-extraction"][data-outcome="failed"]').first();
    await entry.waitFor(WAIT);
    await entry.locator('summary').focus();
    await page.keyboard.press('Enter');
    const trace = (await entry.locator('pre').textContent()) ?? '';
    expect(trace).toMatch(/C: (AUTH PLAIN|PASS) \[redacted\]/);
    expect(trace).not.toContain('not-the-password');
    await shot('test-extraction');
    // The poller meets the same refusal: the list shows the Error icon.
    await page.goto(`${consoleUrl}#/`);
    await page.getByLabel('Search').fill(tag);
    await row(bad.id).locator('[data-status="error"]').waitFor(WAIT);
    await row(goodId).locator('[data-status="ok"]').waitFor(WAIT);
    await shot('services-list');
    await fitsPhone('services-list-phone');
  });

  it('suspends and resumes, and the event log records both', async () => {
    await page.goto(`${consoleUrl}#/connectors/${goodId}`);
    const badge = page.getByTestId('service-status');
    await badge.locator('[data-status="ok"]').waitFor(WAIT);
    await page.getByRole('button', { name: 'Suspend' }).click();
    await badge.locator('[data-status="suspended"]').waitFor(WAIT);
    await page.getByRole('button', { name: 'Resume' }).click();
    await badge.locator('[data-status="ok"]').waitFor(WAIT);
    const actions = page.locator('section[aria-labelledby="events-title"] td[data-label="What"]');
    await expect
      .poll(async () => (await actions.allTextContents()).slice(0, 2), { timeout: WAIT.timeout, interval: 500 })
      .toEqual(['resumed', 'suspended']);
    expect((await actions.allTextContents()).slice(-1)).toEqual(['created']);
    await shot('connector');
    await fitsPhone('connector-phone');
  });

  it('asks for the password when the destination changes, at the password field', async () => {
    await page.goto(`${consoleUrl}#/connectors/${goodId}/edit`);
    const host = page.getByLabel('Hostname / IP Address');
    await expect.poll(() => host.inputValue()).toBe(testEnv.pop3Host);
    expect(await page.getByLabel('Password', { exact: true }).inputValue()).toBe('');
    await host.fill('localhost');
    await page.getByRole('button', { name: 'Save and Exit' }).click();
    const problem = page.locator('#f-password-error');
    await problem.waitFor(WAIT);
    expect(await problem.textContent()).toMatch(/required when changing host/);
    await expect.poll(() => page.evaluate('document.activeElement?.id')).toBe('f-password');
    await page.getByRole('link', { name: 'Cancel' }).click();
    await page.getByRole('heading', { level: 1, name: `Exchange journal ${tag}` }).waitFor();

    // The minimum TLS version is a destination setting too: the form says so before saving.
    await page.getByRole('link', { name: 'Edit definition' }).click();
    await expect.poll(() => host.inputValue()).toBe(testEnv.pop3Host);
    await page.getByLabel('Minimum TLS version').selectOption('TLSv1.1');
    expect(await page.locator('#f-password-hint').textContent()).toMatch(/you changed the minimum TLS version/);
    await page.getByRole('button', { name: 'Save and Exit' }).click();
    await problem.waitFor(WAIT);
    expect(await problem.textContent()).toMatch(/required when changing minTlsVersion/);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Save and Exit' }).click();
    await page.getByRole('heading', { level: 1, name: `Exchange journal ${tag}` }).waitFor();
    await page.getByTestId('status-warnings').waitFor(WAIT);
    expect(await page.getByTestId('status-warnings').textContent()).toMatch(/TLSv1\.1/);
    await page.getByTestId('service-status').locator('[data-status="ok"]').waitFor(WAIT);
  });

  it('replays a dead letter from the outcomes screen, and it is archived', async () => {
    // A dead letter made the real way: the poller claim-checks a large report from a Dovecot
    // mailbox, and its blob is gone when the envelope service reads it (a lost disk, later restored).
    await pipeline.service('envelope').stop();
    pipeline.services.delete('envelope');
    const report = generateJournalReport(1000, 600 * 1024, seededRandom(1017), `${TEST_RUN_ID}-${tag}-dl`).bytes;
    const sha = createHash('sha256').update(report).digest('hex');
    const blobFiles = () =>
      readdirSync(pipeline.blobDir)
        .filter((dir) => /^[0-9a-f]{2}$/.test(dir))
        .flatMap((dir) => readdirSync(join(pipeline.blobDir, dir)).map((file) => join(dir, file)));
    const before = new Set(blobFiles());
    const { id } = await pipeline.connectorWithMailbox([report], {
      description: `Dead letter ${tag}`,
      journalNonInternalAddresses: true,
      journalUnknownInternalAddresses: true,
    });
    await expect
      .poll(async () => (await pipeline.status(id)).counters.extracted, { timeout: WAIT.timeout, interval: 500 })
      .toBe(1);
    const fresh = blobFiles().filter((file) => !before.has(file));
    const blob = join(pipeline.blobDir, fresh.find((file) => file.endsWith(sha)) ?? fresh[0]!);
    expect(existsSync(blob)).toBe(true);
    renameSync(blob, `${blob}.away`);
    await pipeline.startOne('envelope');
    await expect
      .poll(async () => (await pipeline.status(id)).counters.deadLettered, { timeout: WAIT.timeout, interval: 500 })
      .toBe(1);
    renameSync(`${blob}.away`, blob);

    await page.goto(`${consoleUrl}#/connectors/${id}`);
    await page.getByRole('link', { name: '1 dead-lettered, 0 rejected' }).click();
    await page.getByRole('heading', { level: 1, name: `Messages not archived: Dead letter ${tag}` }).waitFor(WAIT);
    expect(await page.getByRole('link', { name: 'Dead-lettered' }).getAttribute('aria-current')).toBe('page');
    const dead = page.locator('tr[data-outcome]');
    await dead.first().waitFor(WAIT);
    expect(await dead.count()).toBe(1);
    expect(await dead.locator('td[data-label="Error"]').textContent()).toMatch(/missing|not found|ENOENT/i);
    expect(await dead.locator('td[data-label="Where"]').textContent()).toContain(`claim check ${sha.slice(0, 2)}/`);
    const replay = dead.getByRole('button', { name: /^Replay / });
    await replay.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('alertdialog', { name: 'Replay this message?' });
    await dialog.waitFor();
    await expect.poll(() => page.evaluate('document.activeElement?.textContent')).toBe('Confirm replay');
    await shot('outcomes');
    await fitsPhone('outcomes-phone');
    await page.keyboard.press('Enter');
    await page.getByRole('status').filter({ hasText: 'Replayed' }).waitFor(WAIT);
    await dead.locator('[data-replayed="true"]').waitFor(WAIT);
    expect(await dead.getByRole('button', { name: /^Replay / }).count()).toBe(0);

    // It arrives archived, byte for byte, and reconciliation links the replay to its dead letter.
    await page.getByRole('link', { name: '← Journal service' }).click();
    await expect
      .poll(() => page.getByTestId('outcome-counters').textContent(), { timeout: WAIT.timeout, interval: 500 })
      .toMatch(/^1 archived/);
    const { archived } = await pipeline.outcomes(id);
    expect(archived.map((r) => r.sha256Before)).toEqual([sha]);
    const reconciled = await pipeline.reconcile(id);
    expect(reconciled.ok).toBe(true);
    expect(reconciled.replayed).toEqual([
      expect.objectContaining({ originalOutcomes: ['dead-lettered'], outcomes: ['archived'] }),
    ]);
  });

  it('imports the directory from CSV and lists API tokens', async () => {
    await page.getByRole('link', { name: 'Directory' }).click();
    await page.getByLabel('or paste CSV').fill(`type,value\ndomain,${tag}.example\naddress,alice@${tag}.example\n`);
    await page.getByRole('button', { name: 'Import' }).click();
    await page.getByRole('status').filter({ hasText: 'Imported' }).waitFor(WAIT);
    await page.getByLabel('Search internal domains').fill(tag);
    await page
      .getByRole('listitem')
      .filter({ hasText: `${tag}.example` })
      .first()
      .waitFor(WAIT);
    await shot('directory');

    await page.getByRole('link', { name: 'API tokens' }).click();
    await page.getByLabel('Name', { exact: true }).fill(`viewer-${tag}`);
    await page.getByRole('button', { name: 'Create token' }).click();
    const secret = page.locator('code.secret');
    await secret.waitFor(WAIT);
    expect(await secret.textContent()).toMatch(/^jw_/);
    await page
      .getByRole('row')
      .filter({ hasText: `viewer-${tag}` })
      .waitFor(WAIT);
    await secret.evaluate((element) => (element.textContent = 'jw_…(shown once)'));
    await shot('tokens');
  });
});
