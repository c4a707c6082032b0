/**
 * Knows whether a session's standalone GET stream (the SSE stream a client opens with `GET /mcp`) is
 * open. The SDK transport drops a server request sent while none is open, so questions go there only
 * when this says so. It watches the stream the transport returns instead of reading its internals.
 */
export class StandaloneStreamTracker {
  private open = 0;

  /** Whether a standalone GET stream of the session is open now. */
  isOpen(): boolean {
    return this.open > 0;
  }

  /** Returns the transport's answer to a GET, watched until the stream ends or the client leaves. */
  track(response: Response): Response {
    const body = response.body;
    if (!response.ok || !body || !response.headers.get('content-type')?.includes('text/event-stream')) return response;
    this.open++;
    let ended = false;
    const end = (): void => {
      if (!ended) this.open--;
      ended = true;
    };
    const reader = (body as ReadableStream<Uint8Array>).getReader();
    const watched = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const { done, value } = await reader.read();
          if (done) {
            end();
            controller.close();
          } else {
            controller.enqueue(value);
          }
        } catch (err) {
          end();
          controller.error(err);
        }
      },
      async cancel(reason) {
        end();
        await reader.cancel(reason);
      },
    });
    return new Response(watched, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  }
}
