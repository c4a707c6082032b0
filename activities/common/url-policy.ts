import net from 'node:net';
import { TaskFailureType } from '../../common/task-types';
import { toolFailure } from './failures';

/**
 * One entry of `DATASET_URL_HOSTS`. `host` is canonical (as `URL#hostname` writes it: lower case,
 * IPv6 in brackets). An exact entry names one host; a wildcard entry (`*.example.com`, or `*` for any
 * host) only ever reaches public addresses.
 */
export interface UrlHostRule {
  /** `exact`: this host; `suffix`: any subdomain of `host`; `any`: every host. */
  match: 'exact' | 'suffix' | 'any';
  host: string;
  /** Only this port when given; any port otherwise. */
  port?: number;
  /** Whether plain `http:` is allowed (the entry was written `http://host[:port]`); `https:` always is. */
  http: boolean;
}

/** What URL sources may reach, and how much of them a task may consume. */
export interface UrlSourcePolicy {
  /** Allowed hosts; empty means URL sources are off. */
  hosts: UrlHostRule[];
  /** Largest source fetched, in bytes; a larger one fails its task. */
  maxBytes: number;
  /** How long connecting and receiving the response headers may take. */
  timeoutMs: number;
}

/** URL sources off: what a worker uses when `DATASET_URL_HOSTS` is empty. */
export const NO_URL_SOURCES: UrlSourcePolicy = { hosts: [], maxBytes: 1024 ** 3, timeoutMs: 30_000 };

/**
 * Parses `DATASET_URL_HOSTS` entries: `host`, `host:port`, `https://host[:port]` (https only),
 * `http://host[:port]` (http and https), `*.example.com` (its subdomains, public addresses only) or
 * `*` (any public host). Throws with the offending entry, so a misconfigured worker stops at start-up.
 */
export function parseUrlHostRules(entries: readonly string[]): UrlHostRule[] {
  return entries.map((raw) => {
    const entry = raw.trim();
    const scheme = /^([a-z]+):\/\//i.exec(entry);
    const protocol = scheme?.[1]?.toLowerCase();
    if (protocol !== undefined && protocol !== 'http' && protocol !== 'https') {
      throw new Error(`DATASET_URL_HOSTS: "${raw}" must be a host, https://host or http://host`);
    }
    let rest = scheme ? entry.slice(scheme[0].length) : entry;
    if (rest.endsWith('/')) rest = rest.slice(0, -1);
    let match: UrlHostRule['match'] = 'exact';
    if (rest === '*' || rest.startsWith('*:')) {
      match = 'any';
      rest = `any.invalid${rest.slice(1)}`;
    } else if (rest.startsWith('*.')) {
      match = 'suffix';
      rest = rest.slice(2);
    }
    let url: URL;
    try {
      url = new URL(`http://${rest}`);
    } catch {
      throw new Error(`DATASET_URL_HOSTS: "${raw}" is not a host name, an address or host:port`);
    }
    if (url.pathname !== '/' || url.search !== '' || url.username !== '' || rest.includes('/') || rest === '') {
      throw new Error(`DATASET_URL_HOSTS: "${raw}" must be a host[:port] without a path`);
    }
    const rule: UrlHostRule = { match, host: match === 'any' ? '*' : url.hostname, http: protocol === 'http' };
    if (url.port !== '') rule.port = Number(url.port);
    else if (/:80$/.test(rest)) rule.port = 80;
    return rule;
  });
}

/** Whether the policy lets a URL through, and whether its host was named exactly (private addresses allowed). */
export interface UrlAccess {
  /** The host was listed exactly: it may resolve to a private or loopback address. */
  explicit: boolean;
}

/**
 * Checks `url` against the policy without any network access: the scheme, the host and port, and, for
 * hosts not listed exactly, an address literal's range. Throws a non-retryable `AccessDenied` failure
 * that says why. A host name's addresses are checked later, when it is resolved to connect
 * ({@link guardedLookup}), so that a DNS answer that changes in between cannot slip through.
 */
export function checkUrl(url: URL, policy: UrlSourcePolicy): UrlAccess {
  const denied = (why: string) => toolFailure(TaskFailureType.AccessDenied, `access denied: ${url.href} (${why})`);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw denied('only https and http URLs are sources');
  if (policy.hosts.length === 0) throw denied('URL sources are not enabled on this server');
  const port = effectivePort(url);
  const matching = policy.hosts.filter((rule) => hostMatches(rule, url.hostname) && (rule.port ?? port) === port);
  if (matching.length === 0) throw denied(`host ${url.host} is not in the allowed list`);
  const usable = url.protocol === 'https:' ? matching : matching.filter((rule) => rule.http);
  if (usable.length === 0) throw denied(`plain http is not allowed for ${url.host}; use https`);
  const explicit = usable.some((rule) => rule.match === 'exact');
  if (!explicit) {
    const literal = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    const range = net.isIP(literal) === 0 ? undefined : restrictedRange(literal);
    if (range !== undefined) throw denied(`${literal} is ${range} address, reachable only when listed exactly`);
  }
  return { explicit };
}

/** The port a URL connects to. */
export function effectivePort(url: URL): number {
  if (url.port !== '') return Number(url.port);
  return url.protocol === 'http:' ? 80 : 443;
}

function hostMatches(rule: UrlHostRule, hostname: string): boolean {
  switch (rule.match) {
    case 'any':
      return true;
    case 'exact':
      return hostname === rule.host;
    case 'suffix':
      return hostname.endsWith(`.${rule.host}`);
  }
}

/** Address ranges a wildcard entry never reaches, with the words messages name them by. */
const RESTRICTED: [label: string, family: 'ipv4' | 'ipv6', network: string, prefix: number][] = [
  ['an unspecified', 'ipv4', '0.0.0.0', 8],
  ['a private', 'ipv4', '10.0.0.0', 8],
  ['a shared (CGNAT)', 'ipv4', '100.64.0.0', 10],
  ['a loopback', 'ipv4', '127.0.0.0', 8],
  ['a link-local', 'ipv4', '169.254.0.0', 16],
  ['a private', 'ipv4', '172.16.0.0', 12],
  ['a reserved', 'ipv4', '192.0.0.0', 24],
  ['a private', 'ipv4', '192.168.0.0', 16],
  ['a benchmarking', 'ipv4', '198.18.0.0', 15],
  ['a multicast', 'ipv4', '224.0.0.0', 4],
  ['a reserved', 'ipv4', '240.0.0.0', 4],
  ['an unspecified', 'ipv6', '::', 128],
  ['a loopback', 'ipv6', '::1', 128],
  ['an IPv4-mapped', 'ipv6', '::ffff:0:0', 96],
  ['an IPv4-translated', 'ipv6', '64:ff9b::', 96],
  ['a unique-local', 'ipv6', 'fc00::', 7],
  ['a link-local', 'ipv6', 'fe80::', 10],
  ['a site-local', 'ipv6', 'fec0::', 10],
  ['a multicast', 'ipv6', 'ff00::', 8],
];

const RESTRICTED_LISTS = RESTRICTED.map(([label, family, network, prefix]) => {
  const list = new net.BlockList();
  list.addSubnet(network, prefix, family);
  return { label, family, list };
});

/**
 * The kind of restricted range `address` (an IP literal) lies in, e.g. `a loopback`, or `undefined`
 * for a public address. IPv4-mapped IPv6 addresses are restricted whatever they map to.
 */
export function restrictedRange(address: string): string | undefined {
  const family = net.isIP(address) === 6 ? 'ipv6' : 'ipv4';
  if (family === 'ipv6' && /^::ffff:/i.test(address)) return 'an IPv4-mapped';
  return RESTRICTED_LISTS.find((entry) => entry.family === family && entry.list.check(address, family))?.label;
}
