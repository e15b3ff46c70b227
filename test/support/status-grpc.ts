/** A gRPC client of journalwire.status.v1.ConnectorStatusService for tests (status.proto). */
import {
  credentials,
  loadPackageDefinition,
  Metadata,
  type ChannelCredentials,
  type Client,
  type ClientReadableStream,
  type ServiceError,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { STATUS_PROTO_PATH } from '#contracts';

export interface GrpcConnectorStatus {
  connectorId: string;
  serviceStatus: string;
  lastSuccessfulExtract: string;
  processingQueue: number;
  pop3MailboxQueue: number;
  lastError: { code: string; message: string; at: string } | null;
  counters: { extracted: number; archived: number; rejected: number; deadLettered: number; merged: number };
  updatedAt: string;
}

type Unary<Req, Res> = (
  request: Req,
  metadata: Metadata,
  callback: (error: ServiceError | null, response: Res) => void,
) => void;

interface StatusServiceClient extends Client {
  GetConnectorStatus: Unary<{ connectorId: string }, GrpcConnectorStatus>;
  ListConnectorStatuses: Unary<Record<string, never>, { statuses: GrpcConnectorStatus[] }>;
  WatchConnectorStatus(
    request: { connectorIds: string[] },
    metadata: Metadata,
  ): ClientReadableStream<GrpcConnectorStatus>;
}

/**
 * A client of the status service at `address` (host:port). Over TLS, `tlsServerName` is the name
 * the certificate is checked against and sent as SNI: grpc-js would otherwise send the address's
 * host, and an IP address as TLS ServerName is not permitted by RFC 6066 (Node's DEP0123 warning).
 */
export function statusGrpcClient(
  address: string,
  channelCredentials: ChannelCredentials = credentials.createInsecure(),
  tlsServerName?: string,
): StatusServiceClient {
  const definition = loadSync(STATUS_PROTO_PATH, {
    keepCase: false,
    longs: Number,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const proto = loadPackageDefinition(definition) as unknown as {
    journalwire: {
      status: {
        v1: {
          ConnectorStatusService: new (
            address: string,
            creds: ChannelCredentials,
            options?: Record<string, string>,
          ) => StatusServiceClient;
        };
      };
    };
  };
  const options: Record<string, string> =
    tlsServerName === undefined ? {} : { 'grpc.ssl_target_name_override': tlsServerName };
  return new proto.journalwire.status.v1.ConnectorStatusService(address, channelCredentials, options);
}

export function bearer(token: string | null): Metadata {
  const metadata = new Metadata();
  if (token) metadata.set('authorization', `Bearer ${token}`);
  return metadata;
}

/** Promisifies a unary call. */
export function call<Req, Res>(
  method: Unary<Req, Res>,
  client: Client,
  request: Req,
  metadata: Metadata,
): Promise<Res> {
  return new Promise((resolve, reject) =>
    method.call(client, request, metadata, (error, response) => (error ? reject(error) : resolve(response))),
  );
}
