/** Raw Streamable HTTP, to check what goes on which stream and in which content type. */
export class RawSession {
  private nextId = 1;
  sessionId = '';

  constructor(private readonly url: string) {}

  headers(): Record<string, string> {
    return {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(this.sessionId && { 'mcp-session-id': this.sessionId, 'mcp-protocol-version': '2025-11-25' }),
    };
  }

  async post(body: object): Promise<Response> {
    return fetch(this.url, { method: 'POST', headers: this.headers(), body: JSON.stringify(body) });
  }

  async request(method: string, params: object): Promise<Response> {
    return this.post({ jsonrpc: '2.0', id: this.nextId++, method, params });
  }

  async initialize(capabilities: object = {}): Promise<void> {
    const response = await this.request('initialize', {
      protocolVersion: '2025-11-25',
      capabilities,
      clientInfo: { name: 'raw', version: '1' },
    });
    this.sessionId = response.headers.get('mcp-session-id') ?? '';
    await response.text();
    await (await this.post({ jsonrpc: '2.0', method: 'notifications/initialized' })).text();
  }
}

/** Reads SSE `data:` messages from a response body as they arrive. */
export async function* sseMessages(response: Response): AsyncGenerator<Record<string, unknown>> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = event
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trim())
        .join('');
      if (data) yield JSON.parse(data) as Record<string, unknown>;
    }
  }
}
