import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { NativeConnection } from '@temporalio/worker';
import { closableGrpcRetryInterceptor } from './closable-grpc-retry';

/** Where and how to reach Temporal: an address plus, for a remote cluster, TLS and API key. */
export interface TemporalEndpoint {
  address: string;
  namespace: string;
  tls?: boolean | object;
  apiKey?: string;
}

/**
 * The endpoint of an external cluster, read by `@temporalio/envconfig` from `TEMPORAL_*` variables
 * and the Temporal config file (TLS certificates, API key, profile).
 */
export function externalEndpoint(address: string, namespace: string): TemporalEndpoint {
  const { connectionOptions, namespace: configured } = loadClientConnectConfig();
  return {
    address,
    namespace: configured ?? namespace,
    tls: connectionOptions.tls as TemporalEndpoint['tls'],
    apiKey: typeof connectionOptions.apiKey === 'string' ? connectionOptions.apiKey : undefined,
  };
}

/**
 * One client per process; close its connection on shutdown, after aborting the calls in flight.
 * Its gRPC retries end with the call's last status instead of throwing once the connection is closed.
 */
export async function connectClient(endpoint: TemporalEndpoint): Promise<Client> {
  const connection = await Connection.connect({
    address: endpoint.address,
    tls: endpoint.tls as never,
    apiKey: endpoint.apiKey,
    interceptors: [closableGrpcRetryInterceptor()],
  });
  return new Client({ connection, namespace: endpoint.namespace });
}

/** The worker's connection; close it after the worker stops. */
export function connectWorker(endpoint: TemporalEndpoint): Promise<NativeConnection> {
  return NativeConnection.connect({ address: endpoint.address, tls: endpoint.tls as never, apiKey: endpoint.apiKey });
}

/**
 * A client for starting workflows on the worker's connection: a start through it may ask for eager
 * start, and the server then hands the first workflow task to that worker in its answer. Nothing
 * else goes through it: unlike the client of {@link connectClient}, its calls cannot be aborted.
 */
export function eagerStarterOn(connection: NativeConnection, namespace: string): Client {
  return new Client({ connection, namespace });
}
