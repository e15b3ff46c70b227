import { loadSync } from '@grpc/proto-loader';
import { describe, expect, it } from 'vitest';
import { connectorStatusViewSchema, STATUS_PROTO_PACKAGE, STATUS_PROTO_PATH, statusCountersSchema } from '#contracts';
import { deriveStatus, parseStoredState } from '../status/status-view.js';
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
    const awaiting = deriveStatus(
      { id: '6f2b9a52-3a8e-4f57-9d3c-6a1b2c3d4e5f', suspended: false, updatedAt: new Date() },
      parseStoredState({}),
    );
    const message = toStatusMessage(awaiting);
    expect(message).toMatchObject({ lastSuccessfulExtract: '', pop3MailboxQueue: -1 });
    expect(message).not.toHaveProperty('lastError');
    expect(keysOf(message)).toEqual(fieldsOf('ConnectorStatus').filter((field) => field !== 'lastError'));
  });
});
