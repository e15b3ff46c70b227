import { status as GrpcStatus, type Metadata } from '@grpc/grpc-js';
import { Controller, Inject } from '@nestjs/common';
import { GrpcMethod, RpcException } from '@nestjs/microservices';
import { Observable } from 'rxjs';
import { isJournalwireError, JournalwireError, type ErrorCode } from '#errors';
import type { Logger } from '#logger';
import { CONFIG, LOGGER } from '#platform';
import { ApiTokenService, type Principal } from '../auth/api-token.service.js';
import { assertScope } from '../auth/scopes.js';
import type { StatusConfig } from '../config.js';
import { StatusChanges } from '../status/status-changes.js';
import { StatusService } from '../status/status.service.js';
import { toStatusMessage, type ConnectorStatusMessage } from './status-message.js';

const SERVICE = 'ConnectorStatusService';
const MAX_IDS = 1000;
const MAX_ID_LENGTH = 100;

const GRPC_CODE_OF: Partial<Record<ErrorCode, GrpcStatus>> = {
  unauthorized: GrpcStatus.UNAUTHENTICATED,
  forbidden: GrpcStatus.PERMISSION_DENIED,
  'rate-limited': GrpcStatus.RESOURCE_EXHAUSTED,
  'not-found': GrpcStatus.NOT_FOUND,
  validation: GrpcStatus.INVALID_ARGUMENT,
  'kafka-unavailable': GrpcStatus.UNAVAILABLE,
};

/** The part of a grpc-js call this controller uses. */
interface GrpcCall {
  getPeer(): string;
}

/** `ipv4:127.0.0.1:5000`, `ipv6:[::1]:5000` → the address alone. */
export function peerAddress(peer: string): string {
  const withoutScheme = peer.replace(/^(ipv4|ipv6|unix):/, '');
  const bracketed = /^\[([^\]]+)\]/.exec(withoutScheme);
  if (bracketed) return bracketed[1]!;
  return withoutScheme.replace(/:\d+$/, '') || 'unknown';
}

/**
 * journalwire.status.v1.ConnectorStatusService (status.proto), same bearer tokens as REST; every
 * method needs the `read` scope. A watch ends (UNAUTHENTICATED) once its token is revoked or expires.
 */
@Controller()
export class StatusGrpcController {
  constructor(
    private readonly tokens: ApiTokenService,
    private readonly status: StatusService,
    private readonly changes: StatusChanges,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(CONFIG) private readonly config: StatusConfig,
  ) {}

  @GrpcMethod(SERVICE, 'GetConnectorStatus')
  async getConnectorStatus(
    request: { connectorId?: string },
    metadata: Metadata,
    call: GrpcCall,
  ): Promise<ConnectorStatusMessage> {
    return this.handle(async () => {
      await this.authenticate(metadata, call);
      return toStatusMessage(await this.status.get(boundedId(request.connectorId ?? '')));
    });
  }

  @GrpcMethod(SERVICE, 'ListConnectorStatuses')
  async listConnectorStatuses(
    _request: unknown,
    metadata: Metadata,
    call: GrpcCall,
  ): Promise<{ statuses: ConnectorStatusMessage[] }> {
    return this.handle(async () => {
      await this.authenticate(metadata, call);
      return { statuses: (await this.status.list()).map(toStatusMessage) };
    });
  }

  /** Current statuses first, then every change (changes during the first read are not lost). */
  @GrpcMethod(SERVICE, 'WatchConnectorStatus')
  async watchConnectorStatus(
    request: { connectorIds?: string[] },
    metadata: Metadata,
    call: GrpcCall,
  ): Promise<Observable<ConnectorStatusMessage>> {
    const ids = [...new Set(request.connectorIds ?? [])];
    const principal = await this.handle(async () => {
      const principal = await this.authenticate(metadata, call);
      if (ids.length > MAX_IDS)
        throw new JournalwireError('validation', `expected at most ${MAX_IDS} connector ids, got ${ids.length}`);
      ids.forEach(boundedId);
      await this.status.list(ids); // unknown ids: NOT_FOUND before the stream starts
      await this.changes.listen();
      return principal;
    });
    const wanted = ids.length > 0 ? new Set(ids) : null;
    return new Observable<ConnectorStatusMessage>((subscriber) => {
      let buffered: ConnectorStatusMessage[] | null = [];
      const subscription = this.changes.changes.subscribe((change) => {
        if (wanted && !wanted.has(change.connectorId)) return;
        if (buffered) buffered.push(toStatusMessage(change));
        else subscriber.next(toStatusMessage(change));
      });
      const recheck = setInterval(() => {
        this.tokens.isValid(principal.tokenId).then(
          (valid) => {
            if (valid) return;
            this.logger.info({ tokenId: principal.tokenId }, 'gRPC watch ended: its API token was revoked or expired');
            subscriber.error(
              new RpcException({ code: GrpcStatus.UNAUTHENTICATED, message: 'API token revoked or expired' }),
            );
          },
          (error: unknown) => this.logger.warn({ err: error }, 'could not re-check the token of a gRPC watch'),
        );
      }, this.config.TOKEN_RECHECK_MS);
      this.status.list(ids).then(
        (current) => {
          for (const status of current) subscriber.next(toStatusMessage(status));
          for (const change of buffered ?? []) subscriber.next(change);
          buffered = null;
        },
        (error: unknown) => subscriber.error(this.toRpcError(error)),
      );
      return () => {
        clearInterval(recheck);
        subscription.unsubscribe();
      };
    });
  }

  private async authenticate(metadata: Metadata, call: GrpcCall): Promise<Principal> {
    const value = metadata.get('authorization')[0];
    const principal = await this.tokens.authenticate(
      typeof value === 'string' ? value : value?.toString('utf8'),
      peerAddress(call.getPeer()),
    );
    assertScope(principal.scope, 'read');
    return principal;
  }

  private async handle<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw this.toRpcError(error);
    }
  }

  private toRpcError(error: unknown): RpcException {
    if (isJournalwireError(error))
      return new RpcException({ code: GRPC_CODE_OF[error.code] ?? GrpcStatus.INTERNAL, message: error.message });
    this.logger.error({ err: error }, 'gRPC call failed');
    return new RpcException({ code: GrpcStatus.INTERNAL, message: 'Internal error' });
  }
}

function boundedId(id: string): string {
  if (id.length > MAX_ID_LENGTH)
    throw new JournalwireError('validation', `expected a connector id (UUID), got ${id.length} characters`);
  return id;
}
