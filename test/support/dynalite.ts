import { createRequire } from 'node:module';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

// dynalite ships no types; this is the one call we use.
type Dynalite = (options: { createTableMs?: number; deleteTableMs?: number; updateTableMs?: number }) => Server;
const dynalite = createRequire(import.meta.url)('dynalite') as Dynalite;

export interface LocalDynamo {
  readonly endpoint: string;
  /** Talks to this dynalite only: dummy credentials, region us-east-1. */
  readonly client: DynamoDBClient;
  close(): Promise<void>;
}

/** An in-memory DynamoDB (dynalite) on an ephemeral loopback port. Tables become ACTIVE at once. */
export const startDynalite = async (): Promise<LocalDynamo> => {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'dynalite', secretAccessKey: 'dynalite' },
  });
  return {
    endpoint,
    client,
    close: async () => {
      client.destroy();
      // The SDK keeps sockets alive; without this, close would wait for them to time out.
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
};
