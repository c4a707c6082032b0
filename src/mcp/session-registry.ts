import { setTimeout as sleep } from 'node:timers/promises';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import {
  initializeSdkTransport,
  resumedInitializeMessage,
  type InitializeMessage,
  type ReplayTarget,
} from './sdk-session-resumption';
import { principalTag, type Principal } from '../auth/principal';
import type { SessionEndings } from '../temporal/session-endings';
import { SessionIdSigner, type IssuedSession, type SessionFacts } from './session-ids';
import { StandaloneStreamTracker } from './standalone-stream';
import { canAnswerForms } from './task-questions';

/**
 * The two channels of a session: `stream` serves tools/call and tasks/result (and sends
 * notifications), `json` serves tasks/get, tasks/list and tasks/cancel with plain JSON bodies.
 */
export type ChannelRole = 'stream' | 'json';

/** What {@link SessionRegistryOptions.createSessionServer} learns about the channel it serves. */
export interface ChannelInfo {
  role: ChannelRole;
  /** What the session id remembers, when the session is resumed after a restart or on another replica. */
  resumed?: SessionFacts;
  /** Whether the session's standalone GET stream is open now (questions may be asked there). */
  standaloneStreamOpen: () => boolean;
  /**
   * Resolves once the session is known not to have been ended, as of the latest request that reached
   * it; rejects with `SessionEndedError` when it was. Anything a request changes waits for it.
   */
  sessionOpen: () => Promise<void>;
  /** The authenticated principal the session belongs to; undefined without authentication. */
  principal?: Principal;
  /** The address of the client whose request opened (or resumed) the session. */
  clientAddress?: string;
}

/** One channel: an SDK transport and the MCP server connected to it. */
export interface Channel {
  transport: WebStandardStreamableHTTPServerTransport;
  server: Server;
}

/** A session held in memory. It can be dropped at any time: its signed id lets it be resumed. */
export interface LiveSession {
  readonly id: string;
  readonly stream: Channel;
  readonly json: Channel;
  /** Tracks the session's standalone GET stream. */
  readonly standaloneStream: StandaloneStreamTracker;
  /** When a request last reached it (ms since the epoch). */
  lastSeen: number;
  /** Whose session it is, for the per-owner cap: the principal, else the client's address. */
  readonly ownerKey: string;
  /** What its id tells, known since it was issued or verified; later requests need not check its MAC again. */
  readonly facts: IssuedSession;
}

/** The durable record of ended sessions cannot be read or written now (Temporal is unreachable). */
export class SessionEndingsUnavailableError extends Error {
  constructor(cause: unknown) {
    super('Ended sessions cannot be checked right now', { cause });
    this.name = 'SessionEndingsUnavailableError';
  }
}

const DEFAULT_END_CHECK_VALID_MS = 1000;
/** Allowance for the clocks of two replicas running at slightly different rates. */
const END_CHECK_MARGIN_MS = 50;

/** The session was ended (DELETE) while a request of it was under way. */
export class SessionEndedError extends Error {
  constructor() {
    super('Session not found');
    this.name = 'SessionEndedError';
  }
}

/** Opening one more session would pass the per-owner cap. */
export class SessionLimitError extends Error {
  constructor(readonly limit: number) {
    super(
      `Too many open sessions: at most ${limit} per client on this server; end one with DELETE or wait until an idle one is closed`,
    );
    this.name = 'SessionLimitError';
  }
}

export interface SessionRegistryOptions {
  sessionSecret: string;
  /** Builds the MCP server of one channel of a session. */
  createSessionServer(sessionId: string, channel: ChannelInfo): Server;
  /** Idle time after which {@link SessionRegistry.sweep} drops a session from memory. */
  sessionIdleMs: number;
  /** Sessions held at once; opening one more evicts the least recently seen. */
  maxSessions: number;
  /**
   * Sessions one owner (principal, else client address) may hold in this process; a new one past it is
   * refused with {@link SessionLimitError}, a resumed one closes that owner's least recently seen.
   * @default Infinity
   */
  maxSessionsPerOwner?: number;
  /** Age after which a session id is no longer accepted, in ms. @default 86_400_000 */
  sessionMaxAgeMs?: number;
  /** Durable record of sessions ended by DELETE; without it an end holds in this process only. */
  endings?: SessionEndings;
  /**
   * How long a session found open is known open without asking `endings` again; a DELETE is answered
   * this much later. @default 1000
   */
  endCheckValidMs?: number;
  /** Clock, for tests. @default Date.now */
  now?: () => number;
}

/** Who sent a request: the verified principal (with authentication) and the client's address. */
export interface RequestIdentity {
  principal?: Principal;
  clientAddress?: string;
}

/** A client's `initialize` and where it was sent, to open a session with. */
export interface OpeningRequest extends ReplayTarget, RequestIdentity {
  message: InitializeMessage;
}

/** A request that names a session. */
export type SessionRequest = ReplayTarget & RequestIdentity & { protocolVersion?: string | null };

/**
 * Every MCP session this process holds in memory, with the two SDK transports each one needs.
 * Sessions are opened by a client's `initialize`, found by their signed id, resumed from that id
 * when this process does not hold them (after a restart, or on another replica), touched on every
 * request, evicted when too many are open, swept when idle, and closed on DELETE or shutdown.
 * Nothing here is task state: dropping a session loses nothing a resumption cannot rebuild.
 */
export class SessionRegistry {
  private readonly signer: SessionIdSigner;
  private readonly sessions = new Map<string, LiveSession>();
  // Concurrent first requests of a resumed session share one resumption.
  private readonly resuming = new Map<string, Promise<LiveSession>>();
  private readonly now: () => number;
  private allowedHosts: string[] = [];
  private sweeper: NodeJS.Timeout | undefined;

  private readonly maxAgeMs: number;
  private readonly maxPerOwner: number;
  // Sessions ended here, for a registry without durable endings (and as a cache in front of them).
  private readonly endedHere = new Set<string>();
  // When each session was last checked and found open (`performance.now()` at the check's start).
  private readonly openAsOf = new Map<string, number>();
  private readonly endCheckValidMs: number;
  // The end check of the latest request of each session whose check runs alongside the request.
  private readonly latestEndChecks = new Map<string, Promise<boolean>>();

  constructor(private readonly options: SessionRegistryOptions) {
    this.now = options.now ?? Date.now;
    this.signer = new SessionIdSigner(options.sessionSecret, this.now);
    this.maxAgeMs = options.sessionMaxAgeMs ?? 86_400_000;
    this.maxPerOwner = options.maxSessionsPerOwner ?? Infinity;
    this.endCheckValidMs = options.endCheckValidMs ?? DEFAULT_END_CHECK_VALID_MS;
  }

  /** Sessions held in memory. */
  get size(): number {
    return this.sessions.size;
  }

  /** Host headers the transports accept (DNS-rebinding protection); empty accepts any. */
  allowHosts(hosts: string[]): void {
    this.allowedHosts = hosts;
  }

  /**
   * Opens a new session for a client's `initialize`. The stream channel is left for the caller to
   * hand the request to (its answer goes to the client); the JSON channel is initialized here.
   */
  async open(request: OpeningRequest): Promise<LiveSession> {
    const ownerKey = ownerKeyOf(request);
    if (this.countOwnedBy(ownerKey) >= this.maxPerOwner) throw new SessionLimitError(this.maxPerOwner);
    const capabilities = request.message.params?.capabilities;
    const { id, facts } = this.signer.issue({
      elicitation: canAnswerForms(capabilities),
      ...(request.principal && { principalTag: principalTag(request.principal) }),
    });
    return this.create(id, facts, request);
  }

  /**
   * The session `sessionId` names: the one in memory, else one resumed from the id's signed facts.
   * Undefined when this product did not issue the id, or issued it to another principal than the
   * request's: a session is reachable only by the principal that opened it.
   */
  async findOrResume(sessionId: string, request: SessionRequest): Promise<LiveSession | undefined> {
    const found = await this.findDeferringEndCheck(sessionId, request);
    if (!found) return undefined;
    return (await found.ended) ? undefined : found.session;
  }

  /**
   * {@link findOrResume} for a request without side effects: the check that the session was not
   * ended (a round trip to Temporal) runs alongside the request instead of before it. `ended` settles
   * with that check (rejecting with `SessionEndingsUnavailableError`); an ended session is closed
   * then, and the caller must not answer the request before `ended` resolved `false`.
   */
  async findDeferringEndCheck(
    sessionId: string,
    request: SessionRequest,
  ): Promise<{ session: LiveSession; ended: Promise<boolean> } | undefined> {
    // The exact id of a live session was verified when it was created: only the MAC check is skipped.
    const facts = this.sessions.get(sessionId)?.facts ?? this.signer.verify(sessionId);
    if (!facts) return undefined;
    const tag = request.principal && principalTag(request.principal);
    if (facts.principalTag !== tag) return undefined;
    if (this.now() >= this.expiryOf(facts)) {
      const live = this.sessions.get(sessionId);
      if (live) await this.close(live);
      return undefined;
    }
    const ended = this.isEnded(sessionId).then(async (isEnded) => {
      const live = this.sessions.get(sessionId);
      if (isEnded && live) await this.close(live);
      return isEnded;
    });
    // Awaited by the caller; this only keeps a rejection that races the resumption below from going unhandled.
    ended.catch(() => undefined);
    this.latestEndChecks.set(sessionId, ended);
    void ended
      .finally(() => {
        if (this.latestEndChecks.get(sessionId) === ended) this.latestEndChecks.delete(sessionId);
      })
      .catch(() => undefined);
    const live = this.sessions.get(sessionId);
    if (live) return { session: live, ended };
    // A session ended elsewhere is not resumed here: wait for the check before building anything.
    if (await ended) return undefined;
    let pending = this.resuming.get(sessionId);
    if (!pending) {
      pending = this.resume(sessionId, facts, request).finally(() => this.resuming.delete(sessionId));
      this.resuming.set(sessionId, pending);
    }
    return { session: await pending, ended };
  }

  /** Records that a request reached `session`, so that it is neither swept nor evicted first. */
  touch(session: LiveSession): void {
    session.lastSeen = this.now();
  }

  /**
   * Ends `session` for good (DELETE): records the end where every replica and a restarted process see
   * it, then closes it. Throws, leaving the session open, when the end cannot be recorded.
   */
  async end(session: LiveSession): Promise<void> {
    await this.options.endings?.end(session.id, this.expiryOf(session.facts)).catch((err: unknown) => {
      throw new SessionEndingsUnavailableError(err);
    });
    if (this.endedHere.size >= 10_000) this.endedHere.clear();
    this.endedHere.add(session.id);
    this.openAsOf.delete(session.id);
    await this.close(session);
    // Answered only once every replica's knowledge that the session was open has expired: a request
    // sent after this answer is checked afresh wherever it lands.
    if (this.options.endings) await sleep(this.endCheckValidMs + END_CHECK_MARGIN_MS);
  }

  /** Drops `session` from memory and closes its servers and transports. */
  async close(session: LiveSession): Promise<void> {
    if (this.sessions.get(session.id) === session) this.sessions.delete(session.id);
    await session.stream.server.close().catch(() => undefined);
    await session.json.server.close().catch(() => undefined);
  }

  /** Closes every session idle for longer than `sessionIdleMs`; resolves once they are closed. */
  async sweep(): Promise<void> {
    const now = this.now();
    const cutoff = now - this.options.sessionIdleMs;
    const idle = [...this.sessions.values()].filter(
      (session) => session.lastSeen < cutoff || now >= this.expiryOf(session.facts),
    );
    await Promise.all(idle.map((session) => this.close(session)));
  }

  /** Sweeps every `min(sessionIdleMs, 60 s)` until {@link closeAll}. */
  startSweeping(): void {
    if (this.sweeper) return;
    this.sweeper = setInterval(() => void this.sweep(), Math.min(this.options.sessionIdleMs, 60_000));
    this.sweeper.unref();
  }

  /** Stops sweeping and closes every session. */
  async closeAll(): Promise<void> {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
    await Promise.all([...this.sessions.values()].map((session) => this.close(session)));
  }

  /** Re-creates a session this product issued, replaying an `initialize` built from what its id remembers. */
  private async resume(sessionId: string, facts: IssuedSession, request: SessionRequest): Promise<LiveSession> {
    const message = resumedInitializeMessage({ protocolVersion: request.protocolVersion, facts });
    const opening: OpeningRequest = { ...request, message };
    const session = await this.create(sessionId, facts, opening, { resumed: true });
    await this.initializeOrClose(session, session.stream, opening);
    return session;
  }

  /**
   * Opens both channels of a session and initializes the JSON one with `request`'s `initialize`:
   * a streaming channel for everything that may need a stream (tools/call, tasks/result and its
   * questions, the GET stream), and a JSON channel for the reads and cancels the spec says should
   * not be upgraded to SSE.
   */
  private async create(
    sessionId: string,
    facts: IssuedSession,
    request: OpeningRequest,
    { resumed = false } = {},
  ): Promise<LiveSession> {
    const ownerKey = ownerKeyOf(request);
    this.evictIfFull(ownerKey);
    const standaloneStream = new StandaloneStreamTracker();
    const standaloneStreamOpen = (): boolean => standaloneStream.isOpen();
    const sessionOpen = (): Promise<void> => this.confirmOpen(sessionId);
    const identity = { principal: request.principal, clientAddress: request.clientAddress };
    const shared = { resumed: resumed ? facts : undefined, standaloneStreamOpen, sessionOpen, ...identity };
    const stream = await this.openChannel(sessionId, { role: 'stream', ...shared });
    const json = await this.openChannel(sessionId, { role: 'json', ...shared });
    const session: LiveSession = {
      id: sessionId,
      stream,
      json,
      standaloneStream,
      lastSeen: this.now(),
      ownerKey,
      facts,
    };
    this.sessions.set(sessionId, session);
    // Chained, not replaced: the server's own close handler (which stops its task notifier) is there.
    const closeServer = stream.transport.onclose;
    stream.transport.onclose = () => {
      closeServer?.();
      if (this.sessions.get(sessionId) === session) void this.close(session);
    };
    await this.initializeOrClose(session, json, request);
    return session;
  }

  /** Initializes one channel of `session`; a session that cannot be initialized is not kept. */
  private async initializeOrClose(session: LiveSession, channel: Channel, request: OpeningRequest): Promise<void> {
    try {
      await initializeSdkTransport(channel.transport, { ...request, sessionId: session.id });
    } catch (err) {
      await this.close(session);
      throw err;
    }
  }

  private async openChannel(sessionId: string, info: ChannelInfo): Promise<Channel> {
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => sessionId,
      enableJsonResponse: info.role === 'json',
      enableDnsRebindingProtection: this.allowedHosts.length > 0,
      allowedHosts: this.allowedHosts,
    });
    const server = this.options.createSessionServer(sessionId, info);
    await server.connect(transport);
    return { transport, server };
  }

  /** Makes room for one more session of `ownerKey`: within that owner's cap first, then the global one. */
  private evictIfFull(ownerKey: string): void {
    const owned = [...this.sessions.values()].filter((session) => session.ownerKey === ownerKey);
    if (owned.length >= this.maxPerOwner) void this.close(leastRecentlySeen(owned)!);
    else if (this.sessions.size >= this.options.maxSessions)
      void this.close(leastRecentlySeen(this.sessions.values())!);
  }

  /** When a session id expires (ms since the epoch): from then on it is not found. */
  private expiryOf(facts: IssuedSession): number {
    return facts.issuedAt + this.maxAgeMs;
  }

  private countOwnedBy(ownerKey: string): number {
    let count = 0;
    for (const session of this.sessions.values()) if (session.ownerKey === ownerKey) count++;
    return count;
  }

  private async confirmOpen(sessionId: string): Promise<void> {
    const check = this.latestEndChecks.get(sessionId);
    if (this.endedHere.has(sessionId) || (check && (await check))) throw new SessionEndedError();
  }

  /**
   * Whether the session was ended, by any replica. A session found open stays known open for
   * `endCheckValidMs` from the moment its check started, so a busy session costs one round trip to
   * Temporal a second at most; `end` waits that long before it answers, so no request sent after a
   * DELETE's answer is served from an older check.
   */
  private async isEnded(sessionId: string): Promise<boolean> {
    if (this.endedHere.has(sessionId)) return true;
    const endings = this.options.endings;
    if (!endings) return false;
    const startedAt = performance.now();
    const knownOpenAt = this.openAsOf.get(sessionId);
    if (knownOpenAt !== undefined && startedAt - knownOpenAt < this.endCheckValidMs) return false;
    let ended: boolean;
    let asOf: number;
    try {
      ({ ended, asOf } = await endings.checkEnded(sessionId));
    } catch (err) {
      throw new SessionEndingsUnavailableError(err);
    }
    if (!ended && this.endCheckValidMs > 0) {
      if (this.openAsOf.size >= 10_000) this.openAsOf.clear();
      this.openAsOf.set(sessionId, Math.max(Math.min(asOf, startedAt), this.openAsOf.get(sessionId) ?? 0));
    }
    return ended;
  }
}

function leastRecentlySeen(sessions: Iterable<LiveSession>): LiveSession | undefined {
  let oldest: LiveSession | undefined;
  for (const session of sessions) if (!oldest || session.lastSeen < oldest.lastSeen) oldest = session;
  return oldest;
}

/** Whom a session counts against: its principal with authentication, else the client's address. */
function ownerKeyOf(identity: RequestIdentity): string {
  if (identity.principal) return `principal:${principalTag(identity.principal)}`;
  return `address:${identity.clientAddress ?? 'unknown'}`;
}
