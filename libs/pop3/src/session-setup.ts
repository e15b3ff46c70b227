import type { Socket } from 'node:net';
import { JournalwireError } from '#errors';
import { CommandChannel } from './command-channel.js';
import {
  resolveLimits,
  resolveTimeouts,
  validateConnectOptions,
  type ResolvedLimits,
  type ResolvedTimeouts,
} from './connect-options.js';
import { describeEndpoint, errorForResponse, type Endpoint } from './errors.js';
import { NO_CAPABILITIES, parseCapabilities, type Capabilities } from './responses.js';
import { openTcp, resolveHost, startTls, type SecuredSocket } from './transport.js';
import type { TlsSettings } from './tls.js';
import type { Pop3ConnectOptions, ProbeStep, ProbeStepName, TlsPeerInfo } from './types.js';

/** Runs one setup step; the probe times and records each, a plain connect just runs it. */
export type StepRunner = <T>(
  step: ProbeStepName,
  run: () => Promise<T>,
  describe?: (result: T) => Pick<ProbeStep, 'detail' | 'tls'>,
) => Promise<T>;

export const runUnobserved: StepRunner = (_step, run) => run();

export interface EstablishedSession {
  channel: CommandChannel;
  endpoint: Endpoint;
  timeouts: ResolvedTimeouts;
  limits: ResolvedLimits;
  capabilities: Capabilities;
  tls: TlsPeerInfo | null;
}

/** RFC 5034: an AUTH command line with its initial response must fit in 255 octets. */
const MAX_AUTH_LINE = 255;

/**
 * Connects and logs in: resolve, TCP, TLS (pop3s), greeting, CAPA, STLS (stls), authentication.
 * On an encrypted transport no credential is sent before TLS is established and verified.
 */
export async function establishSession(
  options: Pop3ConnectOptions,
  step: StepRunner = runUnobserved,
): Promise<EstablishedSession> {
  validateConnectOptions(options);
  const endpoint: Endpoint = { host: options.host, port: options.port };
  const timeouts = resolveTimeouts(options);
  const limits = resolveLimits(options);
  const startedAt = Date.now();
  // Each connect phase has its own timeout, and all of them fit in the session's deadline.
  const connectMs = (): number =>
    Math.max(1, Math.min(timeouts.connectMs, startedAt + timeouts.sessionMs - Date.now()));
  const times: CommandTimes = { timeoutMs: timeouts.commandMs, deadlineMs: timeouts.commandDeadlineMs };
  const capa = (): Promise<Capabilities> => readCapabilities(channel, times, limits.maxCapabilityBytes);
  const tlsSettings: TlsSettings = {
    host: options.host,
    tlsMode: options.tlsMode,
    ...(options.ca !== undefined ? { ca: options.ca } : {}),
    ...(options.servername !== undefined ? { servername: options.servername } : {}),
    ...(options.minTlsVersion !== undefined ? { minTlsVersion: options.minTlsVersion } : {}),
  };

  const address = await step(
    'name-resolution',
    () => resolveHost(options.host, connectMs()),
    (resolved) => ({ detail: resolved.address }),
  );
  let socket: Socket = await step(
    'tcp',
    () => openTcp(address, endpoint, connectMs()),
    () => ({
      detail: `connected to ${describeEndpoint({ host: address.address, port: options.port })}`,
    }),
  );

  let tls: TlsPeerInfo | null = null;
  if (options.transport === 'pop3s') {
    const secured = await step('tls', () => startTls(socket, tlsSettings, endpoint, connectMs()), describeTls);
    socket = secured.socket;
    tls = secured.peer;
  }

  const channel = new CommandChannel({ endpoint, ...(options.trace ? { trace: options.trace } : {}) });
  channel.attach(socket);
  channel.setSessionDeadline(timeouts.sessionMs, startedAt);
  try {
    await step('greeting', async () => {
      const { status } = await channel.send({
        line: null,
        multiline: false,
        timeoutMs: timeouts.greetingMs,
        deadlineMs: timeouts.greetingMs,
      });
      if (status.kind !== 'ok') throw errorForResponse('greeting', status, endpoint);
    });
    let capabilities = await step(
      'capabilities',
      () => capa(),
      (found) => ({
        detail: [...found.names].join(' ') || 'CAPA not supported',
      }),
    );

    if (options.transport === 'stls') {
      const secured = await step(
        'stls',
        async () => {
          const upgraded = await upgradeWithStls(channel, capabilities, tlsSettings, endpoint, times, connectMs());
          // RFC 2595 §4: capabilities learned before TLS are discarded.
          capabilities = await capa();
          return upgraded;
        },
        describeTls,
      );
      tls = secured.peer;
    }

    await step('authentication', async () => {
      await authenticate(channel, options, capabilities, endpoint, times);
      // Some servers announce more (e.g. PIPELINING) once logged in.
      const afterLogin = await capa();
      if (afterLogin.names.size > 0) capabilities = afterLogin;
    });
    channel.pipelining = capabilities.names.has('PIPELINING');
    return { channel, endpoint, timeouts, limits, capabilities, tls };
  } catch (error) {
    channel.destroy();
    throw error;
  }
}

function describeTls(secured: SecuredSocket): Pick<ProbeStep, 'detail' | 'tls'> {
  const { peer } = secured;
  const verdict = peer.authorized
    ? 'certificate verified'
    : `certificate NOT verified (${peer.authorizationError}), accepted in relaxed mode`;
  return { detail: `${peer.protocol ?? 'TLS'}, ${verdict}; subject ${peer.subject}; issuer ${peer.issuer}`, tls: peer };
}

/** The idle timeout and the absolute deadline of a command's response. */
interface CommandTimes {
  timeoutMs: number;
  deadlineMs: number;
}

async function readCapabilities(
  channel: CommandChannel,
  times: CommandTimes,
  maxBodyBytes: number,
): Promise<Capabilities> {
  const { status, body } = await channel.send({ line: 'CAPA', multiline: true, ...times, maxBodyBytes });
  if (status.kind !== 'ok' || !body) return NO_CAPABILITIES;
  return parseCapabilities(body);
}

async function upgradeWithStls(
  channel: CommandChannel,
  capabilities: Capabilities,
  tlsSettings: TlsSettings,
  endpoint: Endpoint,
  times: CommandTimes,
  handshakeMs: number,
): Promise<SecuredSocket> {
  const where = describeEndpoint(endpoint);
  if (!capabilities.names.has('STLS')) {
    throw new JournalwireError(
      'tls-required',
      `The POP3 server at ${where} does not offer STLS, so the connection cannot be encrypted; no credentials were sent. ` +
        'Use POP3S (usually port 995) if the server offers it, or enable STLS on the server.',
      { details: { host: endpoint.host, port: endpoint.port, capabilities: [...capabilities.names] } },
    );
  }
  const { status } = await channel.send({ line: 'STLS', multiline: false, ...times });
  if (status.kind !== 'ok') {
    throw new JournalwireError(
      'tls-required',
      `The POP3 server at ${where} refused STLS ("${status.line}"); no credentials were sent.`,
      {
        details: { host: endpoint.host, port: endpoint.port, response: status.line },
      },
    );
  }
  // detach() throws if the server sent anything after its +OK (a plaintext injection attempt).
  const plain = channel.detach();
  const secured = await startTls(plain, tlsSettings, endpoint, handshakeMs);
  channel.attach(secured.socket);
  return secured;
}

async function authenticate(
  channel: CommandChannel,
  options: Pop3ConnectOptions,
  capabilities: Capabilities,
  endpoint: Endpoint,
  times: CommandTimes,
): Promise<void> {
  const mechanisms = (capabilities.arguments.get('SASL') ?? []).map((mechanism) => mechanism.toUpperCase());
  if (mechanisms.includes('PLAIN')) {
    await authenticatePlain(channel, options, endpoint, times);
    return;
  }
  const user = await channel.send({ line: `USER ${options.username}`, label: 'USER', multiline: false, ...times });
  if (user.status.kind !== 'ok') throw errorForResponse('USER', user.status, endpoint);
  const pass = await channel.send({
    line: `PASS ${options.password}`,
    traceLine: 'PASS [redacted]',
    label: 'PASS',
    multiline: false,
    ...times,
  });
  if (pass.status.kind !== 'ok') throw errorForResponse('PASS', pass.status, endpoint);
}

/** RFC 5034 AUTH PLAIN, with the initial response on the command line when it fits. */
async function authenticatePlain(
  channel: CommandChannel,
  options: Pop3ConnectOptions,
  endpoint: Endpoint,
  times: CommandTimes,
): Promise<void> {
  const credentials = Buffer.from(`\0${options.username}\0${options.password}`, 'utf8').toString('base64');
  const inline = `AUTH PLAIN ${credentials}`;
  const first =
    inline.length <= MAX_AUTH_LINE
      ? await channel.send({
          line: inline,
          traceLine: 'AUTH PLAIN [redacted]',
          label: 'AUTH',
          multiline: false,
          ...times,
        })
      : await channel.send({ line: 'AUTH PLAIN', label: 'AUTH', multiline: false, ...times });
  let status = first.status;
  if (status.kind === 'continuation') {
    ({ status } = await channel.send({
      line: credentials,
      traceLine: '[redacted]',
      label: 'AUTH',
      multiline: false,
      ...times,
    }));
  }
  if (status.kind === 'continuation') {
    channel.destroy();
    throw new JournalwireError(
      'authentication',
      `The POP3 server at ${describeEndpoint(endpoint)} sent an unexpected AUTH PLAIN challenge.`,
      {
        details: { host: endpoint.host, port: endpoint.port },
      },
    );
  }
  if (status.kind !== 'ok') throw errorForResponse('AUTH', status, endpoint);
}
