import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  NO_URL_SOURCES,
  checkUrl,
  parseUrlHostRules,
  restrictedRange,
  type UrlSourcePolicy,
} from '../../../activities/common/url-policy';
import { makeHarness, runActivity, type Harness } from '../memory/helpers';
import { makeTempDir, removeTempDir, runAnalysis } from './helpers';

const CSV = 'a,b\n1,2\n3,4\n';

/** A local HTTP server that counts every connection and request it receives. */
interface CountingServer {
  origin: string;
  port: number;
  connections: number;
  requests: string[];
  close(): Promise<void>;
}

async function startCountingServer(
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => void,
): Promise<CountingServer> {
  const server = http.createServer((req, res) => {
    self.requests.push(req.url ?? '');
    handler(req, res);
  });
  const self: CountingServer = {
    origin: '',
    port: 0,
    connections: 0,
    requests: [],
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  server.on('connection', () => self.connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  self.port = (server.address() as AddressInfo).port;
  self.origin = `http://127.0.0.1:${self.port}`;
  return self;
}

let source: CountingServer;
let elsewhere: CountingServer;
let root: string;

beforeEach(async () => {
  root = makeTempDir('dataset-url-policy-');
  elsewhere = await startCountingServer((_req, res) => res.writeHead(200).end(CSV));
  source = await startCountingServer((req, res): void => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/data.csv') res.writeHead(200, { 'content-length': CSV.length }).end(CSV);
    else if (path === '/moved.csv') res.writeHead(302, { location: '/data.csv' }).end();
    else if (path === '/away.csv')
      res.writeHead(302, { location: `http://localhost:${elsewhere.port}/data.csv` }).end();
    else if (path === '/loop.csv') res.writeHead(302, { location: '/loop.csv' }).end();
    else if (path === '/large.csv') res.writeHead(200, { 'content-length': 5000 }).end('x'.repeat(5000));
    else if (path === '/unsized.csv') {
      // No content-length: the cap must be enforced while reading.
      res.writeHead(200);
      res.write('a,b\n');
      for (let i = 0; i < 100; i++) res.write('1,2\n');
      res.end();
    } else if (path !== '/silent.csv') res.writeHead(404).end(); // /silent.csv never answers
  });
});

afterEach(async () => {
  await source.close();
  await elsewhere.close();
  removeTempDir(root);
});

const policy = (hosts: string[], more: Partial<UrlSourcePolicy> = {}): UrlSourcePolicy => ({
  ...NO_URL_SOURCES,
  hosts: parseUrlHostRules(hosts),
  ...more,
});

const analyse = (url: string, urlSources: UrlSourcePolicy) =>
  runAnalysis(root, { source: url }, { deps: { urlSources } });

describe('DATASET_URL_HOSTS entries', () => {
  it('parses hosts, ports, schemes and wildcards into canonical rules', () => {
    expect(
      parseUrlHostRules([
        'Data.Example.com',
        'https://files.example.com:8443',
        'http://127.0.0.1:9000',
        'http://[::1]:80',
        '*.example.org',
        '*',
      ]),
    ).toEqual([
      { match: 'exact', host: 'data.example.com', http: false },
      { match: 'exact', host: 'files.example.com', port: 8443, http: false },
      { match: 'exact', host: '127.0.0.1', port: 9000, http: true },
      { match: 'exact', host: '[::1]', port: 80, http: true },
      { match: 'suffix', host: 'example.org', http: false },
      { match: 'any', host: '*', http: false },
    ]);
  });

  it.each(['ftp://example.com', 'example.com/data', 'user@example.com', 'exa mple.com', 'http://'])(
    'refuses the entry %p, naming it',
    (entry) => {
      expect(() => parseUrlHostRules([entry])).toThrow(`DATASET_URL_HOSTS: "${entry}"`);
    },
  );
});

describe('checkUrl', () => {
  it.each([
    ['https://data.example.com/a.csv', ['data.example.com'], true],
    ['https://data.example.com:8443/a.csv', ['data.example.com'], true],
    ['https://files.example.com:8443/a.csv', ['files.example.com:8443'], true],
    ['https://a.example.org/x.csv', ['*.example.org'], false],
    ['https://example.net/x.csv', ['*'], false],
    ['http://127.0.0.1:9000/x.csv', ['http://127.0.0.1:9000'], true],
    ['https://127.0.0.1:9000/x.csv', ['http://127.0.0.1:9000'], true],
  ])('lets %s through %p (explicit: %p)', (url, hosts, explicit) => {
    expect(checkUrl(new URL(url), policy(hosts))).toEqual({ explicit });
  });

  it.each([
    ['https://data.example.com/a.csv', [], 'URL sources are not enabled on this server'],
    ['https://other.example.com/a.csv', ['data.example.com'], 'host other.example.com is not in the allowed list'],
    ['https://files.example.com/a.csv', ['files.example.com:8443'], 'is not in the allowed list'],
    ['https://example.org/a.csv', ['*.example.org'], 'is not in the allowed list'],
    [
      'http://data.example.com/a.csv',
      ['data.example.com'],
      'plain http is not allowed for data.example.com; use https',
    ],
    ['http://example.net/a.csv', ['*'], 'plain http is not allowed'],
    ['https://127.0.0.1/a.csv', ['*'], '127.0.0.1 is a loopback address'],
    ['https://0x7f000001/a.csv', ['*'], '127.0.0.1 is a loopback address'],
    ['https://10.1.2.3/a.csv', ['*'], '10.1.2.3 is a private address'],
    ['https://169.254.169.254/latest/meta-data', ['*'], 'is a link-local address'],
    ['https://100.64.0.1/a.csv', ['*'], 'is a shared (CGNAT) address'],
    ['https://0.0.0.0/a.csv', ['*'], 'is an unspecified address'],
    ['https://224.0.0.1/a.csv', ['*'], 'is a multicast address'],
    ['https://[::1]/a.csv', ['*'], '::1 is a loopback address'],
    ['https://[fd00::1]/a.csv', ['*'], 'is a unique-local address'],
    ['https://[fe80::1]/a.csv', ['*'], 'is a link-local address'],
    ['https://[::ffff:127.0.0.1]/a.csv', ['*'], 'is an IPv4-mapped address'],
    ['https://[::ffff:8.8.8.8]/a.csv', ['*'], 'is an IPv4-mapped address'],
  ])('refuses %s under %p: %s', (url, hosts, why) => {
    expect(() => checkUrl(new URL(url), policy(hosts))).toThrow(expect.objectContaining({ type: 'AccessDenied' }));
    expect(() => checkUrl(new URL(url), policy(hosts))).toThrow(why);
  });

  it('classifies public addresses as unrestricted', () => {
    expect(restrictedRange('8.8.8.8')).toBeUndefined();
    expect(restrictedRange('2001:4860:4860::8888')).toBeUndefined();
  });
});

describe('URL sources under the policy', () => {
  it('reads a source whose host is listed exactly, following a same-host redirect', async () => {
    const allowed = policy([`http://127.0.0.1:${source.port}`]);
    await expect(analyse(`${source.origin}/data.csv`, allowed)).resolves.toMatchObject({ report: { rows: 2 } });
    await expect(analyse(`${source.origin}/moved.csv`, allowed)).resolves.toMatchObject({ report: { rows: 2 } });
    expect(source.requests).toEqual(['/data.csv', '/moved.csv', '/data.csv']);
  });

  it.each([
    ['URL sources are off', () => [], '/data.csv', 'URL sources are not enabled'],
    ['another port is listed', () => [`http://127.0.0.1:${source.port + 1}`], '/data.csv', 'not in the allowed list'],
    ['the host is listed for https only', () => [`127.0.0.1:${source.port}`], '/data.csv', 'plain http is not allowed'],
  ])('fails the task and never connects when %s', async (_title, hosts, path, why) => {
    const url = `${source.origin}${path}`;
    await expect(analyse(url, policy(hosts()))).rejects.toMatchObject({
      type: 'AccessDenied',
      nonRetryable: true,
      message: expect.stringContaining(why),
    });
    expect(source.connections).toBe(0);
  });

  it.each([
    ['a name that resolves to loopback', () => `https://localhost:${source.port}/data.csv`, /localhost resolves to/],
    ['a loopback address', () => `https://127.0.0.1:${source.port}/data.csv`, /127\.0\.0\.1 is a loopback/],
    ['an IPv4-mapped address', () => `https://[::ffff:127.0.0.1]:${source.port}/data.csv`, /IPv4-mapped/],
  ])('refuses %s reached through a wildcard entry, without connecting', async (_title, url, why) => {
    await expect(analyse(url(), policy(['*']))).rejects.toMatchObject({
      type: 'AccessDenied',
      nonRetryable: true,
      message: expect.stringMatching(why),
    });
    expect(source.connections).toBe(0);
  });

  it('refuses a redirect to another host, even a listed one, and never contacts it', async () => {
    const allowed = policy([`http://127.0.0.1:${source.port}`, `http://localhost:${elsewhere.port}`]);
    await expect(analyse(`${source.origin}/away.csv`, allowed)).rejects.toMatchObject({
      type: 'AccessDenied',
      nonRetryable: true,
      message: expect.stringContaining(`redirects to another host (localhost:${elsewhere.port})`),
    });
    expect(elsewhere.connections).toBe(0);
  });

  it('stops following redirects after a few', async () => {
    const allowed = policy([`http://127.0.0.1:${source.port}`]);
    await expect(analyse(`${source.origin}/loop.csv`, allowed)).rejects.toMatchObject({
      type: 'SourceUnreadable',
      message: expect.stringContaining('redirects more than 5 times'),
    });
    expect(source.requests).toHaveLength(6);
  });

  it.each([
    ['announces its size', '/large.csv', /is larger than 100 bytes.*\(5000 bytes\)/],
    ['sends more than it may without announcing it', '/unsized.csv', /is larger than 100 bytes/],
  ])('fails a source that %s past DATASET_URL_MAX_BYTES', async (_title, path, message) => {
    const capped = policy([`http://127.0.0.1:${source.port}`], { maxBytes: 100 });
    await expect(analyse(`${source.origin}${path}`, capped)).rejects.toMatchObject({
      type: 'SourceUnreadable',
      nonRetryable: true,
      message: expect.stringMatching(message),
    });
  });

  it('gives up on a server that does not answer within the timeout, as a retryable failure', async () => {
    const impatient = policy([`http://127.0.0.1:${source.port}`], { timeoutMs: 300 });
    const started = Date.now();
    await expect(analyse(`${source.origin}/silent.csv`, impatient)).rejects.toMatchObject({
      type: 'SourceTemporarilyUnavailable',
      nonRetryable: false,
      message: `${source.origin}/silent.csv did not answer within 0.3 s`,
    });
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('import_decisions URL sources under the policy', () => {
  let h: Harness;
  afterEach(() => h.cleanup());

  it('refuses a host that is not listed and never connects', async () => {
    h = await makeHarness({ urlSources: policy(['data.example.com']) });
    await expect(
      runActivity(h.memory.importDecisions, [{ source: `${source.origin}/data.jsonl` }]),
    ).rejects.toMatchObject({ type: 'AccessDenied', message: expect.stringContaining('not in the allowed list') });
    expect(source.connections).toBe(0);
  });
});
