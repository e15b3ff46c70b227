import { loadSync } from '@grpc/proto-loader';
import { describe, expect, it } from 'vitest';
import { connectorStatusViewSchema, STATUS_PROTO_PACKAGE, STATUS_PROTO_PATH, statusCountersSchema } from '#contracts';
import { toStatusMessage } from './status-message.js';

const definition = loadSync(STATUS_PROTO_PATH, { keepCase: false });
const fieldsOf = (message: string): string[] => {
  const type = definition[`${STATUS_PROTO_PACKAGE}.${message}`] as { type: { field: Array<{ name: string }> } };
  return type.type.field.map((field) => field.name).sort();
};
const keysOf = (shape: object): string[] => Object.keys(shape).sort();

/** The REST-only fields: labels for a console and setting warnings, which the proto does not carry. */
const REST_ONLY = ['display', 'warnings'];

describe('the gRPC status message and the REST status view (libs/contracts)', () => {
  it('name the same fields', () => {
    const view = keysOf(connectorStatusViewSchema.shape).filter((key) => !REST_ONLY.includes(key));
    expect(fieldsOf('ConnectorStatus')).toEqual(view);
    expect(fieldsOf('Counters')).toEqual(keysOf(statusCountersSchema.shape));
    expect(fieldsOf('ConnectorError')).toEqual(keysOf(connectorStatusViewSchema.shape.lastError.unwrap().shape));
  });

  it('encodes what proto3 cannot hold: null time as "", an unreached mailbox as -1, no error as unset', () => {
    const message = toStatusMessage({
      connectorId: '6f2b9a52-3a8e-4f57-9d3c-6a1b2c3d4e5f',
      serviceStatus: 'awaiting-initial-run',
      lastSuccessfulExtract: null,
      processingQueue: 0,
      pop3MailboxQueue: null,
      lastError: null,
      counters: { extracted: 0, archived: 0, rejected: 0, deadLettered: 0, merged: 0 },
      updatedAt: '2026-01-01T00:00:00.000Z',
      display: { serviceStatus: 'Service Awaiting Initial Run', lastSuccessfulExtract: 'Awaiting initial run' },
      warnings: [],
    });
    expect(message).toMatchObject({ lastSuccessfulExtract: '', pop3MailboxQueue: -1 });
    expect(message).not.toHaveProperty('lastError');
    expect(keysOf(message)).toEqual(fieldsOf('ConnectorStatus').filter((field) => field !== 'lastError'));
  });
});
