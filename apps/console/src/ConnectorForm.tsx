import { useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { ApiError, CREDENTIAL_DESTINATION_FIELDS, request, type Connector } from './api.js';
import { go } from './router.js';
import { FieldNote } from './FieldNote.js';

type Values = {
  description: string;
  transportType: 'pop3';
  suspended: boolean;
  serviceEmailAddress: string;
  mailboxName: string;
  password: string;
  host: string;
  port: string;
  journalType: 'envelope' | 'eml';
  encrypted: boolean;
  tlsTransport: 'implicit' | 'starttls';
  encryptionMode: 'strict' | 'relaxed';
  minTlsVersion: Connector['minTlsVersion'];
  caCertificate: string;
  removeJournalHeaders: boolean;
  detailedLogging: boolean;
  journalNonInternalAddresses: boolean;
  journalUnknownInternalAddresses: boolean;
  allowEmptyDirectory: boolean;
  pollIntervalSeconds: string;
  maxMessagesPerSession: string;
};

const EMPTY: Values = {
  description: '',
  transportType: 'pop3',
  suspended: false,
  serviceEmailAddress: '',
  mailboxName: '',
  password: '',
  host: '',
  port: '',
  journalType: 'envelope',
  encrypted: true,
  tlsTransport: 'implicit',
  encryptionMode: 'strict',
  minTlsVersion: 'TLSv1.2',
  caCertificate: '',
  removeJournalHeaders: false,
  detailedLogging: false,
  journalNonInternalAddresses: false,
  journalUnknownInternalAddresses: false,
  allowEmptyDirectory: false,
  pollIntervalSeconds: '60',
  maxMessagesPerSession: '500',
};

function valuesOf(connector: Connector): Values {
  return {
    ...EMPTY,
    ...connector,
    password: '',
    port: String(connector.port),
    caCertificate: connector.caCertificate ?? '',
    pollIntervalSeconds: String(connector.pollIntervalSeconds),
    maxMessagesPerSession: String(connector.maxMessagesPerSession),
  };
}

/** What the API receives: numbers as numbers, an empty port as the default, no empty password. */
function payloadOf(values: Values, original: Values | null): Record<string, unknown> {
  const all: Record<string, unknown> = {
    ...values,
    port: values.port.trim() === '' ? undefined : Number(values.port),
    caCertificate: values.caCertificate.trim() === '' ? null : values.caCertificate,
    pollIntervalSeconds: Number(values.pollIntervalSeconds),
    maxMessagesPerSession: Number(values.maxMessagesPerSession),
    password: values.password === '' ? undefined : values.password,
  };
  if (!original) return all;
  const before = payloadOf(original, null);
  return Object.fromEntries(Object.entries(all).filter(([key, value]) => value !== undefined && value !== before[key]));
}

/** How the form names the settings whose change needs the password (CREDENTIAL_DESTINATION_FIELDS). */
const DESTINATION_LABEL: Record<(typeof CREDENTIAL_DESTINATION_FIELDS)[number], string> = {
  host: 'host',
  port: 'port',
  encrypted: 'encryption',
  tlsTransport: 'TLS transport',
  encryptionMode: 'encryption mode',
  caCertificate: 'CA certificate',
  minTlsVersion: 'minimum TLS version',
  mailboxName: 'mailbox name',
};

const LEGACY_TLS_WARNING =
  'Older TLS is for Exchange 2007/2010 servers that cannot speak TLS 1.2, and only for them: it also enables ' +
  'weaker cipher suites. Prefer enabling TLS 1.2 on the server. The Service Status and every test show this warning.';

/** The definition form: every field of the seed's Journal Service and Connection Properties. */
export function ConnectorForm({ id }: { id?: string }) {
  const [values, setValues] = useState<Values>(EMPTY);
  const [original, setOriginal] = useState<Values | null>(null);
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const form = useRef<HTMLFormElement>(null);

  useEffect(() => {
    if (!id) return;
    request<Connector>('GET', `/v1/connectors/${id}`)
      .then((connector) => {
        setValues(valuesOf(connector));
        setOriginal(valuesOf(connector));
      })
      .catch((caught: unknown) => setError(caught instanceof ApiError ? caught.message : String(caught)));
  }, [id]);

  // After a refused save, focus the first field the API named, so its message is read out.
  useEffect(() => {
    if (Object.keys(problems).length > 0) form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [problems]);

  const set = <K extends keyof Values>(key: K, value: Values[K]) =>
    setValues((current) => ({ ...current, [key]: value }));
  // The API's rule: the stored password only goes where it went before.
  const changedDestination = original
    ? CREDENTIAL_DESTINATION_FIELDS.filter((key) => values[key] !== original[key]).map((key) => DESTINATION_LABEL[key])
    : [];
  const passwordHint = !id
    ? 'Redacted as you type; stored encrypted and never shown again.'
    : changedDestination.length > 0
      ? `Required: you changed the ${changedDestination.join(', ')}, and the stored password is never sent to a new destination.`
      : 'Leave empty to keep the stored password. Required when changing host, port, encryption, minimum TLS version, CA certificate or mailbox name.';

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSaving(true);
    setError(null);
    setProblems({});
    try {
      const saved = id
        ? await request<Connector>('PATCH', `/v1/connectors/${id}`, payloadOf(values, original))
        : await request<Connector>('POST', '/v1/connectors', payloadOf(values, null));
      go(`#/connectors/${saved.id}`);
    } catch (caught) {
      if (!(caught instanceof ApiError)) throw caught;
      const byField = Object.fromEntries(
        caught.fields.map((problem) => [problem.field.split('.')[0]!, problem.message]),
      );
      setProblems(byField);
      setError(caught.fields.length > 0 ? 'Please correct the fields marked below.' : caught.message);
    } finally {
      setSaving(false);
    }
  };

  /** A field's hint, warning and problem, referenced by the input's aria-describedby. */
  const notes = (key: keyof Values, hint?: string, warning?: string) => (
    <>
      <FieldNote id={`f-${key}-hint`} kind="hint" text={hint} />
      <FieldNote id={`f-${key}-warning`} kind="warning" text={warning} />
      <FieldNote id={`f-${key}-error`} kind="error" text={problems[key]} />
    </>
  );
  const field = (key: keyof Values, label: string, input: ReactNode, hint?: string, warning?: string) => (
    <div className="field" key={key}>
      <label htmlFor={`f-${key}`}>{label}</label>
      {input}
      {notes(key, hint, warning)}
    </div>
  );
  const a11y = (key: keyof Values, hint?: string, warning?: string) => ({
    id: `f-${key}`,
    name: key,
    'aria-invalid': problems[key] ? true : undefined,
    'aria-describedby':
      [problems[key] ? `f-${key}-error` : '', warning ? `f-${key}-warning` : '', hint ? `f-${key}-hint` : '']
        .filter(Boolean)
        .join(' ') || undefined,
  });
  const text = (key: keyof Values, label: string, extra: Record<string, unknown> = {}, hint?: string) =>
    field(
      key,
      label,
      <input
        {...a11y(key, hint)}
        value={values[key] as string}
        onChange={(event) => set(key, event.target.value as never)}
        {...extra}
      />,
      hint,
    );
  const check = (key: keyof Values, label: string, hint?: string) => (
    <div className="field check" key={key}>
      <input
        type="checkbox"
        {...a11y(key, hint)}
        checked={values[key] as boolean}
        onChange={(event) => set(key, event.target.checked as never)}
      />
      <label htmlFor={`f-${key}`}>{label}</label>
      {notes(key, hint)}
    </div>
  );
  const select = (
    key: keyof Values,
    label: string,
    options: Array<[string, string]>,
    hint?: string,
    warning?: string,
  ) =>
    field(
      key,
      label,
      <select
        {...a11y(key, hint, warning)}
        value={values[key] as string}
        onChange={(event) => set(key, event.target.value as never)}
      >
        {options.map(([value, name]) => (
          <option key={value} value={value}>
            {name}
          </option>
        ))}
      </select>,
      hint,
      warning,
    );

  const title = id ? 'Edit journal service definition' : 'New journal service definition';
  return (
    <section aria-labelledby="form-title">
      <h1 id="form-title" tabIndex={-1}>
        {title}
      </h1>
      <form ref={form} onSubmit={submit} noValidate>
        {error && (
          <p role="alert" className="error banner">
            {error}
          </p>
        )}
        <fieldset>
          <legend>Journal Service Properties</legend>
          {text('description', 'Description', { required: true, maxLength: 200 })}
          {select('transportType', 'Transport Type', [['pop3', 'POP']])}
          {check(
            'suspended',
            'Suspended',
            'Suspends the journal service and resets its error conditions. Recorded in the event log.',
          )}
        </fieldset>
        <fieldset>
          <legend>Connection Properties</legend>
          {text('serviceEmailAddress', 'Service Email Address', { type: 'email', required: true })}
          {text('mailboxName', 'Mailbox Name', { required: true, autoComplete: 'off' })}
          {text(
            'password',
            'Password',
            { type: 'password', autoComplete: 'new-password', required: !id || changedDestination.length > 0 },
            passwordHint,
          )}
          {text('host', 'Hostname / IP Address', { required: true })}
          {text('port', 'Port', { inputMode: 'numeric' }, 'Empty: 995 for POP3S, 110 for POP3 (or POP3 with STLS).')}
          {select('journalType', 'Journal Type', [
            ['envelope', 'Exchange Envelope Journaling (EEJ)'],
            ['eml', 'Standard EML'],
          ])}
          {check('encrypted', 'Encrypted')}
          {select('tlsTransport', 'TLS transport', [
            ['implicit', 'POP3S (implicit TLS)'],
            ['starttls', 'POP3 with STLS'],
          ])}
          {select('encryptionMode', 'Encryption Mode', [
            ['strict', 'Strict - Trust Enforced'],
            ['relaxed', 'Relaxed (self-signed accepted)'],
          ])}
          {select(
            'minTlsVersion',
            'Minimum TLS version',
            [
              ['TLSv1.2', 'TLS 1.2 (default)'],
              ['TLSv1.1', 'TLS 1.1 (Exchange 2007/2010 only)'],
              ['TLSv1', 'TLS 1.0 (Exchange 2007/2010 only)'],
            ],
            'The oldest TLS version accepted, for POP3S and STLS alike. A newer server still negotiates its best version.',
            values.minTlsVersion === 'TLSv1.2' ? undefined : LEGACY_TLS_WARNING,
          )}
          {field(
            'caCertificate',
            'Extra trusted CA certificate (PEM)',
            <textarea
              {...a11y('caCertificate')}
              rows={3}
              value={values.caCertificate}
              onChange={(event) => set('caCertificate', event.target.value)}
            />,
          )}
          {check(
            'removeJournalHeaders',
            'Remove Journal Headers',
            'Removes X-MS-Exchange-Organization-BCC and X-MS-Exchange-CrossPremises-BCC.',
          )}
          {check(
            'detailedLogging',
            'Detailed Logging',
            'Records a redacted POP3 trace of each session and test, shown in the protocol log on the definition’s page.',
          )}
          {check('journalNonInternalAddresses', 'Journal Non Internal Addresses')}
          {check('journalUnknownInternalAddresses', 'Journal Unknown Internal Addresses')}
          {check(
            'allowEmptyDirectory',
            'Allow empty directory',
            'Extract even while the directory has no internal domain. Off (the default), the service waits with the error directory-empty, because every message would be classified external.',
          )}
          {text('pollIntervalSeconds', 'Poll interval (seconds)', { inputMode: 'numeric' })}
          {text('maxMessagesPerSession', 'Messages per session', { inputMode: 'numeric' })}
        </fieldset>
        <div className="actions">
          <button type="submit" disabled={saving}>
            {saving ? 'Saving…' : 'Save and Exit'}
          </button>
          <a className="button secondary" href={id ? `#/connectors/${id}` : '#/'}>
            Cancel
          </a>
        </div>
      </form>
    </section>
  );
}
