import { CREDENTIAL_DESTINATION_FIELDS } from '#contracts';
import { JournalwireError } from '#errors';
import { ENTITY_PROPERTY } from './connector.view.js';

export const CREDENTIAL_RULE = 'password-required-for-destination-change';

/** The destination settings (API names) whose values differ between two versions of a connector. */
export function changedDestinationFields(before: object, after: object): string[] {
  const property = ENTITY_PROPERTY as Record<string, string>;
  const b = before as Record<string, unknown>;
  const a = after as Record<string, unknown>;
  return CREDENTIAL_DESTINATION_FIELDS.filter((field) => {
    const name = property[field] ?? field;
    return b[name] !== a[name];
  });
}

/**
 * The stored password is only ever sent where it was sent before: a request that changes
 * where or how it travels must carry the password itself (400 otherwise).
 */
export function assertPasswordForDestinationChange(changed: string[], password: string | undefined): void {
  if (changed.length === 0 || password !== undefined) return;
  const list = changed.join(', ');
  throw new JournalwireError(
    'validation',
    `Changing ${list} requires the password in the same request (rule ${CREDENTIAL_RULE}): the stored password is never sent to a new destination`,
    {
      details: {
        rule: CREDENTIAL_RULE,
        fields: [{ field: 'password', message: `required when changing ${list} (rule ${CREDENTIAL_RULE})` }],
      },
    },
  );
}
