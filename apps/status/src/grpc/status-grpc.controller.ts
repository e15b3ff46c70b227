import { status as GrpcStatus, type Metadata } from '@grpc/grpc-js';
import { Controller, Inject } from '@nestjs/common';
import { GrpcMethod, RpcException } from '@nestjs/microservices';
import { Observable } from 'rxjs';
import { isJournalwireError, type ErrorCode } from '#errors';
import type { Logger } from '#logger';
import { LOGGER } from '#platform';
import { ApiTokenService } from '../auth/api-token.service.js';
import { StatusChanges } from '../status/status-changes.js';
import { StatusService } from '../status/status.service.js';
import { toStatusMessage, type ConnectorStatusMessage } from './status-message.js';

const SERVICE = 'ConnectorStatusService';

const GRPC_CODE_OF: Partial<Record<ErrorCode, GrpcStatus>> = {
  unauthorized: GrpcStatus.UNAUTHENTICATED,
  'not-found': GrpcStatus.NOT_FOUND,
  validation: GrpcStatus.INVALID_ARGUMENT,
  'kafka-unavailable': GrpcStatus.UNAVAILABLE,
};

/** journalwire.status.v1.ConnectorStatusService (status.proto), same bearer tokens as REST. */
@Controller()
export class StatusGrpcController {
  constructor(
    @Inject(ApiTokenService) private readonly tokens: ApiTokenService,
    @Inject(StatusService) private readonly status: StatusService,
    @Inject(StatusChanges) private readonly changes: StatusChanges,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @GrpcMethod(SERVICE, 'GetConnectorStatus')
  async getConnectorStatus(request: { connectorId?: string }, metadata: Metadata): Promise<ConnectorStatusMessage> {
    return this.handle(async () => {
      await this.authenticate(metadata);
      return toStatusMessage(await this.status.get(request.connectorId ?? ''));
    });
  }

  @GrpcMethod(SERVICE, 'ListConnectorStatuses')
  async listConnectorStatuses(_request: unknown, metadata: Metadata): Promise<{ statuses: ConnectorStatusMessage[] }> {
    return this.handle(async () => {
      await this.authenticate(metadata);
      return { statuses: (await this.status.list()).map(toStatusMessage) };
    });
  }

  /** Current statuses first, then every change (changes during the first read are not lost). */
  @GrpcMethod(SERVICE, 'WatchConnectorStatus')
  async watchConnectorStatus(
    request: { connectorIds?: string[] },
    metadata: Metadata,
  ): Promise<Observable<ConnectorStatusMessage>> {
    const ids = [...new Set(request.connectorIds ?? [])];
    await this.handle(async () => {
      await this.authenticate(metadata);
      await this.status.list(ids); // unknown ids: NOT_FOUND before the stream starts
      await this.changes.listen();
    });
    const wanted = ids.length > 0 ? new Set(ids) : null;
    return new Observable<ConnectorStatusMessage>((subscriber) => {
      let buffered: ConnectorStatusMessage[] | null = [];
      const subscription = this.changes.changes.subscribe((change) => {
        if (wanted && !wanted.has(change.connectorId)) return;
        if (buffered) buffered.push(toStatusMessage(change));
        else subscriber.next(toStatusMessage(change));
      });
      this.status.list(ids).then(
        (current) => {
          for (const status of current) subscriber.next(toStatusMessage(status));
          for (const change of buffered ?? []) subscriber.next(change);
          buffered = null;
        },
        (error: unknown) => subscriber.error(this.toRpcError(error)),
      );
      return () => subscription.unsubscribe();
    });
  }

  private async authenticate(metadata: Metadata): Promise<void> {
    const value = metadata.get('authorization')[0];
    await this.tokens.authenticate(typeof value === 'string' ? value : value?.toString('utf8'));
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
