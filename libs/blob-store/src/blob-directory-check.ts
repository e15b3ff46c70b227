import { constants } from 'node:fs';
import { access } from 'node:fs/promises';

/** Resolves when the blob directory exists and is writable (a processor's outage probe). */
export async function blobDirectoryCheck(root: string): Promise<void> {
  await access(root, constants.R_OK | constants.W_OK);
}
