import { Endpoint } from '@onsembl/protocol';

/**
 * The agent endpoint URL for a server address: ws(s) kept, http(s) turned into ws(s), the path
 * defaulting to /ws/agent, and the token as the `token` query parameter.
 */
export function agentSocketUrl(address: string, token: string): URL {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw new TypeError(`invalid server URL "${redactedText(address)}": expected ws://host:port or http://host:port`);
  }
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  else if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new TypeError(`unsupported server URL scheme "${url.protocol}": use ws:, wss:, http: or https:`);
  }
  if (url.pathname === '' || url.pathname === '/') url.pathname = Endpoint.agent;
  url.searchParams.set('token', token);
  return url;
}

/** The URL as it may appear in logs: the token replaced. */
export function redactedUrl(url: URL): string {
  const copy = new URL(url);
  if (copy.searchParams.has('token')) copy.searchParams.set('token', 'REDACTED');
  if (copy.password) copy.password = 'REDACTED';
  return copy.toString();
}

/** For text that did not parse as a URL: hide any token= value it carries. */
function redactedText(text: string): string {
  return text.replace(/([?&]token=)[^&#\s]*/gi, '$1REDACTED').slice(0, 200);
}
