import type { AuthConfig } from '../config';
import type { AuthFailure } from './token-verifier';

/** The path of the OAuth protected-resource metadata (RFC 9728 §3). */
export const METADATA_PATH = '/.well-known/oauth-protected-resource';

/**
 * The protected-resource side of OAuth for one MCP endpoint: its metadata document (RFC 9728), and the
 * answers to requests that are not authenticated or not authorized (RFC 6750 §3), which point clients
 * at that document so they can find the authorization server.
 */
export class ProtectedResource {
  /** Where the metadata document is published: the well-known path with the resource's path appended. */
  readonly metadataUrl: string;

  /** `resource` is the public URL of the MCP endpoint, e.g. `https://mcp.example.com/mcp`. */
  constructor(
    readonly resource: string,
    private readonly auth: Pick<AuthConfig, 'authorizationServers' | 'requiredScopes'>,
  ) {
    const url = new URL(resource);
    this.metadataUrl = `${url.origin}${METADATA_PATH}${url.pathname === '/' ? '' : url.pathname}`;
  }

  /** Paths the metadata is answered at: the path-suffixed form the MCP spec uses, and the plain one. */
  metadataPaths(mcpPath: string): string[] {
    const published = new URL(this.metadataUrl).pathname;
    return [...new Set([published, `${METADATA_PATH}${mcpPath}`, METADATA_PATH])];
  }

  metadata(): object {
    return {
      resource: this.resource,
      authorization_servers: this.auth.authorizationServers,
      bearer_methods_supported: ['header'],
      scopes_supported: this.auth.requiredScopes,
    };
  }

  /** The HTTP answer to a request that failed authentication or authorization. */
  refuse(failure: AuthFailure): Response {
    const params: [string, string][] = [['resource_metadata', this.metadataUrl]];
    let status = 401;
    if (failure.kind === 'invalid_token')
      params.push(['error', 'invalid_token'], ['error_description', failure.description]);
    if (failure.kind === 'insufficient_scope') {
      status = 403;
      params.push(['error', 'insufficient_scope'], ['error_description', failure.description]);
    }
    if (this.auth.requiredScopes.length > 0) params.push(['scope', this.auth.requiredScopes.join(' ')]);
    const message =
      failure.kind === 'missing_token'
        ? 'Authentication required: send Authorization: Bearer <access token>'
        : failure.description;
    if (failure.kind === 'keys_unavailable') {
      return Response.json(
        { jsonrpc: '2.0', error: { code: -32603, message }, id: null },
        { status: 503, headers: { 'retry-after': '5' } },
      );
    }
    const challenge = `Bearer ${params.map(([key, value]) => `${key}="${quoted(value)}"`).join(', ')}`;
    return Response.json(
      { jsonrpc: '2.0', error: { code: -32001, message }, id: null },
      { status, headers: { 'www-authenticate': challenge } },
    );
  }
}

/** A value for an RFC 9110 quoted-string. */
function quoted(value: string): string {
  return value.replace(/["\\]/g, '\\$&');
}
