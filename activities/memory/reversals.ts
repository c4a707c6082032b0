import { preview } from './decision-fields';
import type { DecisionReversal } from './types';

/** Title similarity (Jaccard over normalised title words) from which two decisions are on the same topic. */
export const SAME_TOPIC_SIMILARITY = 0.5;

/** Most earlier decisions examined for each decision, newest first. */
export const MAX_CANDIDATES = 200;

/** How many reversals a report lists (the latest); `reversalCount` still counts all. */
export const MAX_REPORTED_REVERSALS = 200;

const STOP_WORDS = new Set(
  (
    'a an the and or but nor of to for in on at by with from as into onto over under about via per than then so ' +
    'if when is are was were be been being it its this that these those we our us i you they them their will ' +
    'shall should would can could may might must do does did not no all any some'
  ).split(' '),
);

/**
 * Verbs that say what was done rather than what it was about ("use", "stop using", "switch"): they
 * are not topic words, so "Use PostgreSQL for storage" and "Stop using PostgreSQL for storage" share
 * their whole topic.
 */
const ACTION_WORDS = new Set(
  (
    'use uses used using adopt adopts adopted adopting choose chooses chose chosen choosing pick picks picked ' +
    'picking select selects selected selecting switch switches switched switching move moves moved moving ' +
    'migrate migrates migrated migrating stop stops stopped stopping start starts started starting revert ' +
    'reverts reverted reverting reverse reverses reversed reversing replace replaces replaced replacing drop ' +
    'drops dropped dropping deprecate deprecates deprecated deprecating abandon abandons abandoned abandoning ' +
    'undo undoes undid undone keep keeps kept keeping introduce introduces introduced introducing decide ' +
    'decides decided deciding go goes went going back longer instead'
  ).split(' '),
);

/** Word starts of the reversal cues, with their inflections. */
const REVERSAL_CUE = new RegExp(
  '\\b(?:revert(?:s|ed|ing)?|revers(?:e|es|ed|ing|al)|roll(?:s|ed|ing)? ?back|undo(?:es|ne|ing)?|undid|' +
    'no longer|instead of|replac(?:e|es|ed|ing|ement)|switch(?:es|ed|ing)? back|abandon(?:s|ed|ing)?|' +
    'drop(?:s|ped|ping)?|deprecat(?:e|es|ed|ing|ion)|stop(?:s|ped|ping)? using)\\b',
  'i',
);

/**
 * A title's topic words: lower-cased, punctuation removed, stop words and action verbs dropped, simple
 * plurals stripped (`-ies` → `-y`, a final `s` but not `ss`, `us` or `is`), deduplicated.
 */
export function titleWords(title: string): string[] {
  const words = new Set<string>();
  for (const raw of title.toLowerCase().split(/[^\p{L}\p{N}]+/u)) {
    if (raw === '' || STOP_WORDS.has(raw) || ACTION_WORDS.has(raw)) continue;
    let word = raw;
    if (word.length > 4 && word.endsWith('ies')) word = `${word.slice(0, -3)}y`;
    else if (word.length > 3 && word.endsWith('s') && !/(?:ss|us|is)$/.test(word)) word = word.slice(0, -1);
    words.add(word);
  }
  return [...words];
}

/** The first reversal cue in `text`, lower-cased, if any. */
export function reversalCue(text: string): string | undefined {
  return REVERSAL_CUE.exec(text)?.[0].toLowerCase();
}

interface Entry {
  id: number;
  title: string;
  words: string[];
  /** The lower-cased title, computed the first time a mention check needs it. */
  titleLower?: string;
}

/**
 * Finds decisions that reverse an earlier one. Feed decisions in chronological order (`createdAt`,
 * then id). A decision B reverses an earlier A when both hold:
 *
 * 1. Same topic: the Jaccard similarity of their title word sets ({@link titleWords}) is at least
 *    {@link SAME_TOPIC_SIMILARITY} (equal normalised titles have similarity 1).
 * 2. A contrast: B's title or decision contains a reversal cue (revert, reverse, roll back, rollback,
 *    undo, no longer, instead of, replace, switch back, abandon, drop, deprecate, stop using, with their
 *    inflections), or B's decision quotes A's title (case-insensitive).
 *
 * Only the most recent such A is reported for each B. Cost stays bounded: titles are indexed by word,
 * and since a match must share at least half of B's words, only the postings of B's rarest
 * `k - ceil(k/2) + 1` words can hold it (prefix filtering); of those, only the newest
 * {@link MAX_CANDIDATES} are examined. A decision whose title has no topic word is never matched.
 */
export class ReversalDetector {
  private readonly entries: Entry[] = [];
  private readonly postings = new Map<string, number[]>();
  private readonly latest: DecisionReversal[] = [];
  private found = 0;

  /** Adds the next decision and checks it against the earlier ones. */
  add(decision: { id: number; title: string; decision: string }): void {
    const words = titleWords(decision.title);
    if (words.length === 0) return;
    const match = this.findMatch(decision, words);
    if (match !== undefined) {
      this.found++;
      this.latest.push(match);
      if (this.latest.length > MAX_REPORTED_REVERSALS) this.latest.shift();
    }
    const index = this.entries.push({ id: decision.id, title: decision.title, words }) - 1;
    for (const word of words) {
      const list = this.postings.get(word);
      if (list === undefined) this.postings.set(word, [index]);
      else list.push(index);
    }
  }

  /** The latest reversals found, chronologically, and how many were found in all. */
  result(): { reversals: DecisionReversal[]; reversalCount: number } {
    return { reversals: [...this.latest], reversalCount: this.found };
  }

  private findMatch(b: { id: number; title: string; decision: string }, words: string[]): DecisionReversal | undefined {
    const needed = Math.ceil(words.length / 2);
    const lists = words
      .map((word) => this.postings.get(word))
      .filter((list): list is number[] => list !== undefined)
      .sort((x, y) => x.length - y.length)
      .slice(0, words.length - needed + 1);
    if (lists.length === 0) return undefined;
    const mine = new Set(words);
    const cue = reversalCue(`${b.title}\n${b.decision}`);
    let decisionLower: string | undefined;
    // Merge the ascending postings lists from their ends: candidates come newest first, so the first
    // match is the most recent one and the search can stop there.
    const heads = lists.map((list) => list.length - 1);
    let previous = -1;
    for (let examined = 0; examined < MAX_CANDIDATES;) {
      let index = -1;
      let from = -1;
      lists.forEach((list, j) => {
        const candidate = heads[j]! >= 0 ? list[heads[j]!]! : -1;
        if (candidate > index) [index, from] = [candidate, j];
      });
      if (from === -1) return undefined;
      heads[from]!--;
      if (index === previous) continue; // the same decision found through another word
      previous = index;
      examined++;
      const a = this.entries[index]!;
      let shared = 0;
      for (const word of a.words) if (mine.has(word)) shared++;
      const similarity = shared / (a.words.length + words.length - shared);
      if (similarity < SAME_TOPIC_SIMILARITY) continue;
      let evidence: string;
      if (cue !== undefined) {
        evidence = `cue "${cue}"`;
      } else {
        decisionLower ??= b.decision.toLowerCase();
        a.titleLower ??= a.title.toLowerCase();
        if (!decisionLower.includes(a.titleLower)) continue;
        evidence = `mentions "${preview(a.title)}"`;
      }
      return {
        decisionId: b.id,
        title: b.title,
        reversesId: a.id,
        reversesTitle: a.title,
        reason: `${evidence}; titles ${Math.round(similarity * 100)}% similar`,
      };
    }
    return undefined;
  }
}
