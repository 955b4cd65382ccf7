// What a node id may be: the server's rule (journeys/fields.py NODE_ID_PATTERN, also the
// `patternProperties` key of the schema's `nodes`), mirrored here once, and whether a new id
// for a node is free. Pure.

/** journeys/fields.py NODE_ID_PATTERN: a letter or digit, then letters, digits, _ or -; 63 at most. */
export const NODE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

export const isNodeId = (id: string): boolean => NODE_ID_PATTERN.test(id);

/** Why `to` cannot become the id of node `from` among `taken` ids; null when it can. */
export function nodeIdProblem(from: string, to: string, taken: Iterable<string>): string | null {
  if (to === "") return "a node needs an id";
  if (!isNodeId(to))
    return to.length > 63
      ? "at most 63 characters"
      : "letters, digits, _ and - only, starting with a letter or a digit";
  if (to !== from && new Set(taken).has(to)) return `another node is already called ${to}`;
  return null;
}
