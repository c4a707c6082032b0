import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { allowHttpFrom } from '../../helpers/url-sources';
import { generateCsv, generateJsonl } from './fixtures';
import {
  makeTempDir,
  midRunCheckpoints,
  removeTempDir,
  runAnalysis,
  runRecorded,
  spread,
  type RunOutcome,
} from './helpers';

interface Served {
  body: Buffer;
  /** Whether `Range: bytes=N-` is honoured; when false the whole body is sent with 200. */
  ranges: boolean;
}

interface Seen {
  url: string;
  range?: string;
  status: number;
}

let server: http.Server;
let baseUrl: string;
let files: Map<string, Served>;
let seen: Seen[];
/** Requests for `/stall.csv` get this much of a body and then nothing more. */
let stallBody: Buffer;
let stalledClosed: Promise<void>;
let root: string;

beforeEach(async () => {
  files = new Map();
  seen = [];
  root = makeTempDir('dataset-http-');
  let markClosed: () => void = () => undefined;
  stalledClosed = new Promise((resolve) => (markClosed = resolve));
  server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    const pathname = new URL(url, 'http://x').pathname;
    const respond = (status: number, headers: http.OutgoingHttpHeaders, body?: Buffer) => {
      seen.push({ url, range: req.headers.range, status });
      res.writeHead(status, headers);
      res.end(body);
    };
    if (pathname === '/stall.csv') {
      seen.push({ url, status: 200 });
      res.writeHead(200, { 'content-type': 'text/csv' });
      res.write(stallBody);
      res.on('close', markClosed);
      return;
    }
    if (pathname === '/broken.csv') return respond(500, {}, Buffer.from('oops'));
    if (pathname === '/forbidden.csv') return respond(403, {}, Buffer.from('no'));
    const file = files.get(pathname);
    if (!file) return respond(404, {}, Buffer.from('no such file'));
    const match = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (file.ranges && match) {
      const start = Number(match[1]);
      if (start >= file.body.length) return respond(416, { 'content-range': `bytes */${file.body.length}` });
      return respond(
        206,
        { 'content-range': `bytes ${start}-${file.body.length - 1}/${file.body.length}`, 'accept-ranges': 'bytes' },
        file.body.subarray(start),
      );
    }
    respond(200, { 'content-length': file.body.length }, file.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

/** Lets the activity reach the test server over plain http, with checkpoints as often as possible. */
const urlsAllowed = () => ({ urlSources: allowHttpFrom(baseUrl), checkpointIntervalMs: 0 });

afterEach(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  removeTempDir(root);
});

describe.each([
  ['with Range support', true],
  ['without Range support', false],
])('analyzeDataset over HTTP %s', (_title, ranges) => {
  it.each([
    ['CSV', '/data.csv?token=abc', () => generateCsv(30_000)],
    ['JSONL', '/data.jsonl', () => generateJsonl(30_000)],
  ])('matches the local-file report for %s and resumes from a checkpoint', async (_format, urlPath, generate) => {
    const body = Buffer.from(generate());
    const pathname = urlPath.split('?')[0]!;
    files.set(pathname, { body, ranges });
    fs.writeFileSync(path.join(root, `local${path.extname(pathname)}`), body);
    const local = await runRecorded(root, { source: `local${path.extname(pathname)}` });

    const source = baseUrl + urlPath;
    const straight = await runRecorded(root, { source }, { deps: urlsAllowed() });
    expect(straight.report).toEqual(local.report);
    expect(straight.run).toMatchObject({ resumedFromByte: 0, bytesRead: body.length, totalBytes: body.length });

    const [checkpoint] = spread(midRunCheckpoints(straight.heartbeats, body.length));
    seen = [];
    const resumed = await runRecorded(
      root,
      { source },
      { deps: urlsAllowed(), info: { attempt: 3, heartbeatDetails: { progress: { current: 0 }, checkpoint } } },
    );
    expect(seen).toEqual([{ url: urlPath, range: `bytes=${checkpoint!.offset}-`, status: ranges ? 206 : 200 }]);
    expect(resumed.run).toEqual({
      attempt: 3,
      resumedFromByte: checkpoint!.offset,
      bytesRead: body.length - checkpoint!.offset,
      totalBytes: body.length,
    });
    expect(resumed.report).toEqual(straight.report);
  });

  it('resumes from a checkpoint taken at the very end', async () => {
    const body = Buffer.from('a,b\n1,2\n');
    files.set('/end.csv', { body, ranges });
    const straight = await runRecorded(root, { source: `${baseUrl}/end.csv` }, { deps: urlsAllowed() });
    const checkpoint = straight.heartbeats[straight.heartbeats.length - 1]!.checkpoint!;
    expect(checkpoint.offset).toBe(body.length);
    const resumed = await runRecorded(
      root,
      { source: `${baseUrl}/end.csv` },
      { deps: urlsAllowed(), info: { heartbeatDetails: { progress: { current: 1 }, checkpoint } } },
    );
    expect(resumed.run).toMatchObject({ resumedFromByte: body.length, bytesRead: 0 });
    expect(resumed.report).toEqual(straight.report);
  });
});

describe('HTTP failures', () => {
  it('reports 404 as SourceNotFound naming the URL', async () => {
    const source = `${baseUrl}/missing.csv`;
    await expect(runAnalysis(root, { source }, { deps: urlsAllowed() })).rejects.toMatchObject({
      type: 'SourceNotFound',
      nonRetryable: true,
      message: expect.stringContaining(source),
    });
  });

  it('reports other client error statuses as SourceUnreadable with the status', async () => {
    await expect(
      runAnalysis(root, { source: `${baseUrl}/forbidden.csv` }, { deps: urlsAllowed() }),
    ).rejects.toMatchObject({
      type: 'SourceUnreadable',
      message: expect.stringContaining('HTTP 403'),
      nonRetryable: true,
    });
  });

  it('reports a server error as retryable, so that Temporal retries and resumes', async () => {
    await expect(runAnalysis(root, { source: `${baseUrl}/broken.csv` }, { deps: urlsAllowed() })).rejects.toMatchObject(
      {
        type: 'SourceTemporarilyUnavailable',
        message: expect.stringContaining('HTTP 500'),
        nonRetryable: false,
      },
    );
  });

  it('asks for a format when the URL path has no extension', async () => {
    await expect(runAnalysis(root, { source: `${baseUrl}/data` }, { deps: urlsAllowed() })).rejects.toMatchObject({
      type: 'InvalidInput',
    });
    expect(seen).toEqual([]);
  });

  it('aborts a stalled download when the activity is cancelled', async () => {
    stallBody = Buffer.from('a,b\n1,2\n3,4\n');
    const outcome: RunOutcome = { heartbeats: [], cancellations: [] };
    const run = runAnalysis(
      root,
      { source: `${baseUrl}/stall.csv` },
      { deps: urlsAllowed(), onHeartbeat: (_details, env, index) => index === 1 && setTimeout(() => env.cancel(), 50) },
      outcome,
    );
    await expect(run).rejects.toMatchObject({ name: 'CancelledFailure' });
    expect(outcome.cancellations).toHaveLength(1);
    expect(outcome.cancellations[0]?.progress.current).toBe(2);
    // The server sees the connection closed: the download really stopped.
    await expect(stalledClosed).resolves.toBeUndefined();
  });
});
