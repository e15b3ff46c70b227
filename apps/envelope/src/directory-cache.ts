import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { buildDirectoryIndex, type DirectoryIndex } from '#journal';
import type { Logger } from '#logger';
import {
  DirectoryAddressEntity,
  DirectoryAliasEntity,
  DirectoryDomainEntity,
  DirectoryRevisionEntity,
} from '#persistence';
import { CONFIG, DATA_SOURCE, LOGGER } from '#platform';
import type { EnvelopeConfig } from './config.js';

/** The internal directory from PostgreSQL, reloaded whenever its revision changes. */
@Injectable()
export class DirectoryCache implements OnApplicationBootstrap, OnApplicationShutdown {
  private index: DirectoryIndex = buildDirectoryIndex({ domains: [], addresses: [] });
  private revision: string | null = null;
  private timer: NodeJS.Timeout | undefined;
  private checksStarted = 0;
  private appliedCheck = 0;

  constructor(
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(CONFIG) private readonly config: EnvelopeConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  get current(): DirectoryIndex {
    return this.index;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => {
      this.refresh().catch((error: unknown) =>
        this.logger.warn({ err: error }, 'directory refresh failed; keeping the cached directory'),
      );
    }, this.config.DIRECTORY_REFRESH_MS);
  }

  /** Reloads if the revision changed; on failure keeps the cached directory (the timer reports it). */
  async refreshQuietly(): Promise<void> {
    await this.refresh().catch((error: unknown) =>
      this.logger.debug({ err: error }, 'directory refresh failed; keeping the cached directory'),
    );
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /**
   * Reloads the directory if its revision changed. Checks may overlap (the timer's and a chunk's):
   * the result of one that started later is never replaced by an earlier one's.
   */
  async refresh(): Promise<void> {
    const check = ++this.checksStarted;
    const row = await this.dataSource.getRepository(DirectoryRevisionEntity).findOneBy({ id: 1 });
    const revision = row?.revision ?? '0';
    if (revision === this.revision) return;
    const [domains, addresses, aliases] = await Promise.all([
      this.dataSource.getRepository(DirectoryDomainEntity).find(),
      this.dataSource.getRepository(DirectoryAddressEntity).find(),
      this.dataSource.getRepository(DirectoryAliasEntity).find(),
    ]);
    const aliasesByAddress = new Map<string, string[]>();
    for (const alias of aliases)
      aliasesByAddress.set(alias.address, [...(aliasesByAddress.get(alias.address) ?? []), alias.alias]);
    if (check < this.appliedCheck) return;
    this.appliedCheck = check;
    this.index = buildDirectoryIndex({
      domains: domains.map((d) => ({ domain: d.domain, includeSubdomains: d.includeSubdomains })),
      addresses: addresses.map((a) => ({ address: a.address, aliases: aliasesByAddress.get(a.address) ?? [] })),
    });
    this.revision = revision;
    this.logger.info({ revision, domains: domains.length, addresses: addresses.length }, 'directory loaded');
  }
}
