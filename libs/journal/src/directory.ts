import { z } from 'zod';

/** A connector's internal domains and known internal addresses (docs §7). */
export interface DirectoryConfig {
  domains: Array<{ domain: string; includeSubdomains?: boolean }>;
  addresses: Array<{ address: string; aliases?: string[] }>;
}

/** Accepts plain strings as well as objects in both arrays (the CLI's DIR.json). */
export const directoryConfigSchema = z
  .object({
    domains: z
      .array(
        z.union(
          [z.string().min(1), z.object({ domain: z.string().min(1), includeSubdomains: z.boolean().optional() })],
          {
            error: 'expected a domain: "contoso.com" or {"domain": "contoso.com", "includeSubdomains": true}',
          },
        ),
      )
      .default([]),
    addresses: z
      .array(
        z.union(
          [z.string().min(1), z.object({ address: z.string().min(1), aliases: z.array(z.string().min(1)).optional() })],
          {
            error:
              'expected an address: "alice@contoso.com" or {"address": "alice@contoso.com", "aliases": ["a.anders@contoso.com"]}',
          },
        ),
      )
      .default([]),
  })
  .transform((config): DirectoryConfig => ({
    domains: config.domains.map((entry) => (typeof entry === 'string' ? { domain: entry } : entry)),
    addresses: config.addresses.map((entry) => (typeof entry === 'string' ? { address: entry } : entry)),
  }));

function normaliseDomain(domain: string): string {
  return domain.trim().toLowerCase().replace(/^@/, '').replace(/\.$/, '');
}

export function domainOf(address: string): string | null {
  const at = address.lastIndexOf('@');
  return at < 0 ? null : normaliseDomain(address.slice(at + 1));
}

/** Lookup structure for classification: addresses and aliases map to their primary address. */
export class DirectoryIndex {
  private readonly primaryByAddress = new Map<string, string>();
  private readonly exactDomains = new Set<string>();
  private readonly parentDomains = new Set<string>();

  constructor(config: DirectoryConfig) {
    for (const { domain, includeSubdomains } of config.domains) {
      const normalised = normaliseDomain(domain);
      this.exactDomains.add(normalised);
      if (includeSubdomains === true) this.parentDomains.add(normalised);
    }
    for (const { address, aliases = [] } of config.addresses) {
      const primary = address.trim().toLowerCase();
      this.primaryByAddress.set(primary, primary);
      for (const alias of aliases) {
        const key = alias.trim().toLowerCase();
        if (!this.primaryByAddress.has(key)) this.primaryByAddress.set(key, primary);
      }
    }
  }

  /** Builds an index from untrusted JSON (strings or objects); throws a ZodError when invalid. */
  static fromJson(json: unknown): DirectoryIndex {
    return new DirectoryIndex(directoryConfigSchema.parse(json));
  }

  /** The primary address of a known address or alias (case-insensitive), else null. */
  primaryAddress(address: string): string | null {
    return this.primaryByAddress.get(address.toLowerCase()) ?? null;
  }

  /** Exact match, or a configured parent domain that includes subdomains. */
  isInternalDomain(domain: string): boolean {
    const normalised = normaliseDomain(domain);
    if (this.exactDomains.has(normalised)) return true;
    for (let dot = normalised.indexOf('.'); dot >= 0; dot = normalised.indexOf('.', dot + 1)) {
      if (this.parentDomains.has(normalised.slice(dot + 1))) return true;
    }
    return false;
  }
}

export function buildDirectoryIndex(config: DirectoryConfig): DirectoryIndex {
  return new DirectoryIndex(config);
}
