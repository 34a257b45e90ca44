import type { Reply } from '../executor.js';

// A cache entry is one string: "<namespace version>|<stale flag>|<tags>|<encoded value>".
// The namespace version is the one current when the entry was written; `clear()` increments it,
// so older entries read as misses. The stale flag is 1 when the entry has a stale window: the
// entry then lives for TTL plus the window, and a marker key that expires after the TTL tells
// getOrSet whether it is still fresh. Tags are comma-separated names (tag names contain no comma
// or bar).

/** Builds the text of an entry. */
export function formatEntry(
  version: string,
  staleWindow: boolean,
  tags: readonly string[],
  text: string,
): string {
  return `${version}|${staleWindow ? 1 : 0}|${tags.join(',')}|${text}`;
}

/**
 * Returns the encoded value of a fresh entry, or undefined when the entry is absent, was written
 * before the last `clear()`, or is in its stale window (its flag is 1 and `marker` is gone). Reads
 * pass the namespace version, the entry and its marker as one `MGET` replied them.
 */
export function entryText(version: Reply, entry: Reply, marker: Reply): string | undefined {
  if (typeof entry !== 'string') return undefined;
  const versionEnd = entry.indexOf('|');
  const current = typeof version === 'string' ? version : '0';
  if (versionEnd < 0 || entry.slice(0, versionEnd) !== current) return undefined;
  if (entry[versionEnd + 1] === '1' && marker === null) return undefined;
  const tagsEnd = entry.indexOf('|', versionEnd + 3);
  return tagsEnd < 0 ? undefined : entry.slice(tagsEnd + 1);
}
