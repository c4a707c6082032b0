import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An endless file: `header` (if any), then `line(1)`, `line(2)`, … */
export interface EndlessFile {
  header?: string;
  line(i: number): string;
}

/** A local HTTP server whose files never end: each response sends a line at a time, for ever. */
export interface TrickleSourceServer {
  /** `http://127.0.0.1:<port>`: what `DATASET_URL_HOSTS` must allow for the product to read it. */
  origin: string;
  /** The URL of `file`; the path's extension (`.csv`, `.jsonl`) tells readers the format. */
  urlFor(name: string, file: EndlessFile): string;
  /** Ends every response and stops the server. */
  close(): Promise<void>;
}

/** Pace of the trickle: slow enough that a reader is always mid-way, fast enough that it keeps heartbeating. */
const LINE_EVERY_MS = 100;

/**
 * Starts a {@link TrickleSourceServer} on a free loopback port. It keeps a streaming activity (dataset
 * analysis, decision import) mid-way for as long as needed, without racing the activity's speed: the
 * activity stays busy reading (so it heartbeats and notices a cancellation) but can never finish.
 */
export async function startTrickleSourceServer(): Promise<TrickleSourceServer> {
  const files = new Map<string, EndlessFile>();
  const open = new Set<ServerResponse>();
  const server = createServer((request, response) => {
    const file = files.get(request.url ?? '');
    if (!file) {
      response.writeHead(404).end();
      return;
    }
    // No content-length and no range support: the reader streams what comes.
    response.writeHead(200, { 'content-type': 'text/plain' });
    if (file.header !== undefined) response.write(`${file.header}\n`);
    let i = 0;
    const timer = setInterval(() => response.write(`${file.line(++i)}\n`), LINE_EVERY_MS);
    open.add(response);
    response.once('close', () => {
      clearInterval(timer);
      open.delete(response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    urlFor(name, file) {
      const urlPath = `/endless/${encodeURIComponent(name)}`;
      files.set(urlPath, file);
      return `${origin}${urlPath}`;
    },
    async close() {
      for (const response of open) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
