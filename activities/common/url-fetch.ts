import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import { TaskFailureType } from '../../common/task-types';
import { toolFailure } from './failures';
import { checkUrl, restrictedRange, type UrlSourcePolicy } from './url-policy';

/** Same-host redirects followed before the source counts as unreadable. */
export const MAX_REDIRECTS = 5;

/** Failure type of a source server that may recover (5xx, 429, timeout): retried, resuming from the checkpoint. */
export const SOURCE_UNAVAILABLE_FAILURE_TYPE = 'SourceTemporarilyUnavailable';

/** A response whose body has not been read yet. */
export interface PolicyResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The body's bytes; reading it ends the response. */
  body: AsyncIterable<Buffer>;
  /** Drops the connection; idempotent. */
  close(): void;
}

/**
 * GETs `url` as the policy allows: every hop is checked with {@link checkUrl} before it is requested,
 * the addresses a host name resolves to are checked when the connection is made (so that a DNS answer
 * that changed since cannot reach a private address), a redirect is followed only to the same host
 * (at most {@link MAX_REDIRECTS}), and the response headers must arrive within `policy.timeoutMs`.
 * Refusals throw non-retryable `AccessDenied` failures before any byte is sent to the refused address.
 */
export async function fetchWithPolicy(
  url: URL,
  options: { policy: UrlSourcePolicy; headers: Record<string, string>; signal: AbortSignal },
): Promise<PolicyResponse> {
  let current = url;
  for (let hop = 0; ; hop++) {
    const access = checkUrl(current, options.policy);
    const response = await requestOnce(current, { ...options, explicit: access.explicit });
    const location = response.headers.location;
    if (response.statusCode === undefined || !isRedirect(response.statusCode) || location === undefined) {
      return {
        status: response.statusCode ?? 0,
        headers: response.headers,
        body: response,
        close: () => response.destroy(),
      };
    }
    response.destroy();
    let next: URL;
    try {
      next = new URL(location, current);
    } catch {
      throw toolFailure(TaskFailureType.SourceUnreadable, `${url.href} redirects to an invalid URL`);
    }
    if (next.hostname !== current.hostname) {
      throw toolFailure(
        TaskFailureType.AccessDenied,
        `access denied: ${url.href} redirects to another host (${next.host}); only same-host redirects are followed`,
      );
    }
    if (hop + 1 > MAX_REDIRECTS) {
      throw toolFailure(TaskFailureType.SourceUnreadable, `${url.href} redirects more than ${MAX_REDIRECTS} times`);
    }
    current = next;
  }
}

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

function requestOnce(
  url: URL,
  options: { policy: UrlSourcePolicy; headers: Record<string, string>; signal: AbortSignal; explicit: boolean },
): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    let refusal: ApplicationFailure | undefined;
    const client = url.protocol === 'https:' ? https : http;
    const request = client.request(url, {
      method: 'GET',
      headers: options.headers,
      signal: options.signal,
      // A fresh connection per request: a pooled socket would skip the address check of this hop.
      agent: false,
      ...(!options.explicit && { lookup: guardedLookup(url, (failure) => (refusal = failure)) }),
    });
    const timer = setTimeout(() => {
      const seconds = Number((options.policy.timeoutMs / 1000).toFixed(1));
      request.destroy(
        ApplicationFailure.create({
          type: SOURCE_UNAVAILABLE_FAILURE_TYPE,
          message: `${url.href} did not answer within ${seconds} s`,
        }),
      );
    }, options.policy.timeoutMs);
    request.on('response', (response) => {
      clearTimeout(timer);
      resolve(response);
    });
    request.on('error', (err) => {
      clearTimeout(timer);
      reject(refusal ?? err);
    });
    request.end();
  });
}

/**
 * A `lookup` for the connection that refuses restricted addresses (loopback, private, link-local,
 * unique-local, IPv4-mapped, CGNAT, unspecified, multicast) once the name is resolved: the address
 * checked is the address connected to. A name with any restricted address is refused as a whole.
 */
export function guardedLookup(url: URL, onRefused: (failure: ApplicationFailure) => void): LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) {
        callback(err, '', 0);
        return;
      }
      for (const { address } of addresses) {
        const range = restrictedRange(address);
        if (range === undefined) continue;
        const failure = toolFailure(
          TaskFailureType.AccessDenied,
          `access denied: ${url.href} (${hostname} resolves to ${address}, ${range} address, reachable only when listed exactly)`,
        );
        onRefused(failure);
        callback(failure, '', 0);
        return;
      }
      const [first] = addresses;
      if (options.all === true) callback(null, addresses);
      else if (first === undefined)
        callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
      else callback(null, first.address, first.family);
    });
  };
}
