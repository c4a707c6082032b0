import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';

/** A client and a worker connection to the test run's Temporal server, for tests that run workers of their own. */
export interface TestTemporal {
  client: Client;
  nativeConnection: NativeConnection;
  /** Closes both connections; call it once the workers on them have stopped. */
  close(): Promise<void>;
}

export async function connectTestTemporal(): Promise<TestTemporal> {
  const address = process.env.TEST_TEMPORAL_ADDRESS!;
  const connection = await Connection.connect({ address });
  try {
    const nativeConnection = await NativeConnection.connect({ address });
    return {
      client: new Client({ connection }),
      nativeConnection,
      close: async () => {
        await nativeConnection.close();
        await connection.close();
      },
    };
  } catch (err) {
    await connection.close();
    throw err;
  }
}
