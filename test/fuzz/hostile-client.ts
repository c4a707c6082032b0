import fc from 'fast-check';
import { hostileRequest, type Attack, type HostileTargets } from './hostile-requests';

/** What a run sent and what came back, printed by the tests and `npm run fuzz`. */
export interface HostileRunReport {
  seed: number;
  requests: number;
  byLabel: Record<string, number>;
  byStatus: Record<string, number>;
  byRpcError: Record<string, number>;
  /** The first few -32603 answers (a limit, or a bug), with what was sent, to look into. */
  internalErrorSamples: string[];
  sessionsOpened: number;
}

export interface HostileRunOptions {
  requests: number;
  seed: number;
  /** Longest wait for an answer's headers and first message; longer is a hang. @default 30_000 */
  answerTimeoutMs?: number;
  /**
   * With authentication: the attacker's own valid token, and a token signed by a key the server does
   * not trust (carrying the victim's subject). Absent: the server takes no tokens.
   */
  tokens?: { own: string; forged: string };
}

interface RpcMessage {
  jsonrpc?: unknown;
  id?: unknown;
  result?: unknown;
  error?: { code?: unknown; message?: unknown };
}

/**
 * Sends `options.requests` hostile requests to an MCP endpoint, one at a time, from a session of its
 * own, and fails on the first answer that breaks the rules: a 5xx, no answer in time, an answer that
 * is not well-formed JSON-RPC, a success for a request that cannot be valid, or anything of another
 * owner's (`targets`). fast-check shrinks a failure to the smallest request that shows it.
 */
export async function runHostileClient(
  mcpUrl: string,
  targets: HostileTargets,
  options: HostileRunOptions,
): Promise<HostileRunReport> {
  const report: HostileRunReport = {
    seed: options.seed,
    requests: 0,
    byLabel: {},
    byStatus: {},
    byRpcError: {},
    internalErrorSamples: [],
    sessionsOpened: 0,
  };
  const timeoutMs = options.answerTimeoutMs ?? 30_000;
  let sessionId = '';

  const bearer = (which: 'own' | 'none' | 'garbage' | 'forged'): Record<string, string> => {
    const tokens = options.tokens;
    if (tokens === undefined || which === 'none') return {};
    const token = which === 'own' ? tokens.own : which === 'forged' ? tokens.forged : 'garbage.not.ajwt';
    return { authorization: `Bearer ${token}` };
  };

  const openSession = async (): Promise<void> => {
    const response = await fetch(mcpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...bearer('own') },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'hostile', version: '1' } },
      }),
    });
    await response.text();
    sessionId = response.headers.get('mcp-session-id') ?? '';
    if (response.status !== 200 || !sessionId) throw new Error(`initialize answered ${response.status}`);
    report.sessionsOpened++;
  };

  const send = async (attack: Attack): Promise<void> => {
    const headers: Record<string, string> =
      attack.kind === 'rpc'
        ? {
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
            'mcp-session-id': sessionId,
            'mcp-protocol-version': '2025-11-25',
            ...bearer('own'),
          }
        : { ...attack.headers, ...(attack.withSession && { 'mcp-session-id': sessionId }), ...bearer(attack.auth) };
    const url = attack.kind === 'rpc' ? mcpUrl : new URL(attack.path, mcpUrl).href;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    try {
      const response = await fetchOnFreshSocketIfStale(url, {
        method: attack.kind === 'rpc' ? 'POST' : attack.method,
        headers,
        body:
          attack.kind === 'rpc'
            ? JSON.stringify(attack.body)
            : attack.body === undefined
              ? undefined
              : String(attack.body),
        redirect: 'manual',
        signal: controller.signal,
      });
      count(report.byStatus, String(response.status));
      if (response.status >= 500) throw new Error(`answered HTTP ${response.status}: ${await response.text()}`);
      if (attack.kind === 'rpc') {
        checkRpcAnswer(attack, response.status, await firstMessage(response), targets, report);
        // The session is gone (ended by an earlier attack): go on with a new one, counted in the report.
        if (response.status === 404) await openSession();
        return;
      }
      // A GET may open the standalone stream, which stays open and carries no answer: its headers are it.
      await response.body?.cancel();
      // The attacker's own DELETE ends its session; later requests need a new one.
      if (attack.withSession && attack.method === 'DELETE' && response.status < 300) await openSession();
    } finally {
      clearTimeout(timer);
    }
  };

  await openSession();
  // A failing case is reported shrunk and cut short: a request may hold a megabyte of generated text.
  await fc
    .assert(
      fc.asyncProperty(hostileRequest(targets), async (attack) => {
        report.requests++;
        count(report.byLabel, attack.label);
        await send(attack);
      }),
      { numRuns: options.requests, seed: options.seed, endOnFailure: true },
    )
    .catch((err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      throw new Error(message.length > 4000 ? `${message.slice(0, 4000)}… (cut)` : message, { cause: err });
    });
  return report;
}

/** The first JSON-RPC message of an answer: the JSON body, or the first `data:` of an SSE stream. */
async function firstMessage(response: Response): Promise<RpcMessage | undefined> {
  const type = response.headers.get('content-type') ?? '';
  if (type.includes('text/event-stream')) {
    if (response.body === null) return undefined;
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const data = /^data:(.*)$/m.exec(buffer.slice(0, end));
          if (data) return JSON.parse(data[1]!) as RpcMessage;
          buffer = buffer.slice(end + 2);
          continue;
        }
        const { value, done } = await reader.read();
        if (done) return undefined;
        buffer += decoder.decode(value, { stream: true });
      }
    } finally {
      await reader.cancel().catch(() => undefined);
    }
  }
  const text = await response.text();
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as RpcMessage;
  } catch {
    return undefined;
  }
}

function checkRpcAnswer(
  attack: Attack & { kind: 'rpc' },
  status: number,
  answer: RpcMessage | undefined,
  targets: HostileTargets,
  report: HostileRunReport,
): void {
  const body = attack.body as { id?: unknown; method?: unknown; params?: { taskId?: unknown } } | null;
  const isRequest =
    typeof body === 'object' && body !== null && !Array.isArray(body) && 'method' in body && 'id' in body;
  if (answer === undefined) {
    // Notifications, stray responses and refused bodies get no JSON-RPC answer.
    if (isRequest && status < 300 && status !== 202) throw new Error(`request answered ${status} with no message`);
    return;
  }
  const wellFormed =
    answer.jsonrpc === '2.0' &&
    (answer.result !== undefined) !== (answer.error !== undefined) &&
    (answer.error === undefined || (Number.isInteger(answer.error.code) && typeof answer.error.message === 'string'));
  if (!wellFormed) throw new Error(`malformed JSON-RPC answer: ${JSON.stringify(answer).slice(0, 500)}`);
  if (answer.error !== undefined) count(report.byRpcError, String(answer.error.code));
  if (answer.error?.code === -32603 && report.internalErrorSamples.length < 5) {
    report.internalErrorSamples.push(
      `${attack.label} ${JSON.stringify(attack.body).slice(0, 150)}: ${String(answer.error.message).slice(0, 150)}`,
    );
  }
  const target = body?.params?.taskId;
  const aimsAtVictim = typeof target === 'string' && targets.victimTaskIds.includes(target);
  // A valid request for another owner's task gets exactly what an unknown task gets; a broken envelope
  // may be refused earlier, with its own error, but never with a result.
  const validEnvelope = status === 200 && (typeof body?.id === 'string' || Number.isSafeInteger(body?.id));
  if (aimsAtVictim && (answer.result !== undefined || (validEnvelope && answer.error?.code !== -32602))) {
    throw new Error(`${String(body?.method)} of another owner's task answered ${JSON.stringify(answer).slice(0, 500)}`);
  }
  if (answer.result !== undefined) {
    const text = JSON.stringify(answer.result);
    const leaked = targets.victimTaskIds.find((id) => text.includes(id));
    if (leaked) throw new Error(`an answer carries another owner's task ${leaked}: ${text.slice(0, 500)}`);
  }
}

function count(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

/** The report as a few lines for the console. */
export function formatHostileRunReport(report: HostileRunReport): string {
  const line = (counts: Record<string, number>) =>
    Object.entries(counts)
      .sort(([, a], [, b]) => b - a)
      .map(([key, value]) => `${key}: ${value}`)
      .join(', ');
  return [
    `hostile client: ${report.requests} requests (seed ${report.seed}), ${report.sessionsOpened} sessions opened`,
    `  by kind: ${line(report.byLabel)}`,
    `  HTTP status: ${line(report.byStatus)}`,
    `  JSON-RPC error codes: ${line(report.byRpcError)}`,
    ...report.internalErrorSamples.map((sample) => `  -32603 sample: ${sample}`),
  ].join('\n');
}

/** Socket errors that mean a request never reached the server, rather than that it was answered badly. */
const STALE_SOCKET_CODES = new Set(['EPIPE', 'ECONNRESET', 'UND_ERR_SOCKET']);

/**
 * `fetch`, sent once more when its pooled keep-alive socket turns out to be closed (the server closes
 * a connection after some refusals, such as a body it would not read, and the pool may hand that socket
 * out before it notices). The request never reached the server then; a server that stopped serving fails
 * the second attempt too, with the connection refused.
 */
async function fetchOnFreshSocketIfStale(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (err) {
    const code = ((err as { cause?: { code?: unknown } }).cause?.code ?? '') as string;
    if (init.signal?.aborted || !STALE_SOCKET_CODES.has(code)) throw err;
    return await fetch(url, init);
  }
}
