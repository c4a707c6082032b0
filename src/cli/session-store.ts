import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

/**
 * The MCP session each server (and token) was last used with, kept in a small JSON file so that one
 * invocation can reach the tasks an earlier one created: without authentication a server owns tasks
 * by session, so `mcp-tasks call --detach` then `mcp-tasks result <id>` must present the same session.
 */
export class SessionStore {
  constructor(private readonly file: string = defaultSessionFile()) {}

  /** The saved session id for `url` and `token`, if any. */
  get(url: string, token: string | undefined): string | undefined {
    return this.read()[sessionKey(url, token)];
  }

  /** Saves (or, with undefined, forgets) the session id for `url` and `token`. */
  set(url: string, token: string | undefined, sessionId: string | undefined): void {
    const sessions = this.read();
    const key = sessionKey(url, token);
    if (sessionId === undefined) delete sessions[key];
    else sessions[key] = sessionId;
    mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    // Written aside then renamed, so two invocations at once never leave half a file.
    const temporary = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(sessions, null, 2), { mode: 0o600 });
    renameSync(temporary, this.file);
  }

  private read(): Record<string, string> {
    try {
      const parsed: unknown = JSON.parse(readFileSync(this.file, 'utf8'));
      return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, string>) : {};
    } catch {
      return {};
    }
  }
}

/** `$MCP_TASKS_SESSIONS_FILE`, else `$XDG_STATE_HOME/mcp-tasks/sessions.json` (`~/.local/state` by default). */
export function defaultSessionFile(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MCP_TASKS_SESSIONS_FILE) return env.MCP_TASKS_SESSIONS_FILE;
  const stateHome = env.XDG_STATE_HOME || path.join(homedir(), '.local', 'state');
  return path.join(stateHome, 'mcp-tasks', 'sessions.json');
}

// The token itself is never written to disk: only a digest tells one principal's session from another's.
function sessionKey(url: string, token: string | undefined): string {
  return token === undefined ? url : `${url} ${createHash('sha256').update(token).digest('hex').slice(0, 16)}`;
}
