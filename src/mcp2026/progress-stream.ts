/**
 * A 2026-07-28 answer that may carry progress: streamable HTTP lets the reply to one POST be an SSE
 * stream scoped to that request, with related notifications before the response, and nothing after it.
 */

/** A JSON-RPC message to send, with the HTTP status it would have as a plain JSON reply. */
export interface WireAnswer {
  message: unknown;
  status: number;
}

/** Sends one `notifications/progress` params object on the request's stream. */
export type ProgressSender = (params: Record<string, unknown>) => void;

const encoder = new TextEncoder();
const frame = (message: unknown): Uint8Array => encoder.encode(`event: message\ndata: ${JSON.stringify(message)}\n\n`);

/**
 * Runs `work` and answers with its message: as plain JSON (with its own HTTP status) when it ends
 * before reporting any progress, else as an SSE stream that opens at the first progress and carries
 * each one, then the response, and closes. So an error found before the work starts (invalid
 * params, a missing capability) keeps its HTTP 400, and progress stops with the request. `work` must
 * not reject: its errors are JSON-RPC error messages.
 */
export async function answerWithProgress(work: (send: ProgressSender) => Promise<WireAnswer>): Promise<Response> {
  let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  let closed = false;
  let openStream!: (response: Response) => void;
  const streamed = new Promise<Response>((resolve) => {
    openStream = resolve;
  });
  const send = (message: unknown): void => {
    if (closed) return;
    if (controller === undefined) {
      const stream = new ReadableStream<Uint8Array>({
        start: (opened) => {
          controller = opened;
        },
        cancel: () => {
          // The client went away: its request's signal cancels the work; nothing more is written.
          closed = true;
        },
      });
      openStream(
        new Response(stream, {
          status: 200,
          headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' },
        }),
      );
    }
    controller?.enqueue(frame(message));
  };
  const done = work((params) => send({ jsonrpc: '2.0', method: 'notifications/progress', params }));
  const first = await Promise.race([done, streamed]);
  if (!(first instanceof Response) && controller === undefined) {
    return Response.json(first.message, { status: first.status });
  }
  void done.then((answer) => {
    if (closed || controller === undefined) return;
    controller.enqueue(frame(answer.message));
    controller.close();
    closed = true;
  });
  return streamed;
}
