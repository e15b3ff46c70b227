import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { z } from 'zod';

/** The longest e-mail address and domain name the API accepts (the OpenAPI document shows the same). */
export const MAX_EMAIL_LENGTH = 320;
export const MAX_DOMAIN_LENGTH = 253;

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i;

/** An RFC 1123 host name (letters, digits, hyphens; dot-separated labels of 1-63; at most 253). */
export function isHostname(value: string): boolean {
  const name = value.endsWith('.') ? value.slice(0, -1) : value;
  if (name.length === 0 || name.length > MAX_DOMAIN_LENGTH) return false;
  const labels = name.split('.');
  // An all-numeric last label is an (invalid) IPv4 address, not a name.
  return labels.every((label) => LABEL.test(label)) && !/^\d+$/.test(labels[labels.length - 1]!);
}

/** A host name, an IPv4 address or an IPv6 address. */
export function isHost(value: string): boolean {
  return isIP(value) !== 0 || isHostname(value);
}

/** True when the text holds at least one PEM certificate and every one of them parses. */
export function isPemCertificateBundle(pem: string): boolean {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
  if (!blocks) return false;
  try {
    for (const block of blocks) new X509Certificate(block);
    return true;
  } catch {
    return false;
  }
}

/** A zod message that tells a missing value from a wrong one. */
export function expected(what: string) {
  return { error: (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : `expected ${what}`) };
}

export const emailAddress = z
  .string(expected('an e-mail address'))
  .max(MAX_EMAIL_LENGTH, { error: `expected at most ${MAX_EMAIL_LENGTH} characters`, abort: true })
  .trim()
  .pipe(z.email('expected an e-mail address such as journal@contoso.com'));

export const domainName = z
  .string(expected('a domain name'))
  .max(MAX_DOMAIN_LENGTH, { error: `expected at most ${MAX_DOMAIN_LENGTH} characters`, abort: true })
  .trim()
  .toLowerCase()
  .refine((value) => isHostname(value) && value.includes('.'), 'expected a domain name such as contoso.com')
  .transform((value) => value.replace(/\.$/, ''));

export const flag = z.boolean(expected('true or false'));
