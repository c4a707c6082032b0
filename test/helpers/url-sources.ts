import { NO_URL_SOURCES, parseUrlHostRules, type UrlSourcePolicy } from '../../activities/common/url-policy';

/** A URL policy that lets plain http reach exactly the hosts (and ports) of `urls`, as tests' local servers need. */
export function allowHttpFrom(...urls: string[]): UrlSourcePolicy {
  return { ...NO_URL_SOURCES, hosts: parseUrlHostRules(urls.map((url) => `http://${new URL(url).host}`)) };
}
