import { z } from 'zod';
import { apiViewJsonSchemas } from '#contracts';
import { createConnectorSchema, testExtractionSchema, updateConnectorSchema } from '../connectors/connector.schemas.js';
import { createTokenSchema } from '../tokens/tokens.schemas.js';
import {
  addressInputSchema,
  addressPatchSchema,
  domainInputSchema,
  domainPatchSchema,
  importJsonSchema,
} from '../directory/directory.schemas.js';

/** The request bodies of the OpenAPI document, from the validation schemas themselves. */
const INPUTS: Array<[name: string, schema: z.ZodType]> = [
  ['CreateConnector', createConnectorSchema],
  ['UpdateConnector', updateConnectorSchema],
  ['TestExtractionSettings', testExtractionSchema],
  ['CreateApiToken', createTokenSchema],
  ['DomainInput', domainInputSchema],
  ['DomainPatch', domainPatchSchema],
  ['AddressInput', addressInputSchema],
  ['AddressPatch', addressPatchSchema],
  ['DirectoryImport', importJsonSchema],
];

/**
 * Named schemas of the OpenAPI document: the responses from libs/contracts (API_VIEWS, the one
 * source the tests check responses against), the inputs from the validation schemas.
 */
export function componentSchemas(): Record<string, unknown> {
  return {
    ...apiViewJsonSchemas('openapi-3.0'),
    ...Object.fromEntries(
      INPUTS.map(([name, schema]) => [
        name,
        z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input', unrepresentable: 'any' }),
      ]),
    ),
  };
}
