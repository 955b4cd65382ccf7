// Which text the designer opens: the saved design when it still says what the stored draft
// says (its comments and layout are the person's), else the draft itself, else a skeleton
// for a new journey. Pure.

import { definitionOf, draftOf, parseDraft, type Draft, type Positions } from "./draft";
import { nodesOf } from "./graph";

export interface Saved {
  source: string;
  positions: Positions;
}

/** Equal as JSON values, whatever the order of the keys. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b))
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => sameValue(v, b[i]));
  if (!a || !b || typeof a !== "object" || typeof b !== "object") return false;
  const [ka, kb] = [Object.keys(a), Object.keys(b)];
  const bb = b as Record<string, unknown>;
  return ka.length === kb.length && ka.every((k) => k in bb && sameValue((a as Record<string, unknown>)[k], bb[k]));
}

/** The text a new journey starts from: valid once its entry event is named. */
export const skeleton = (id: string): string => `# ${id}: made in the designer
id: ${id}
name: ${id}
entry:
  event: ""
start: done
nodes:
  done:
    type: end
`;

const kept = (positions: Positions, definition: unknown): Positions => {
  const ids = new Set(Object.keys(nodesOf(definition)));
  return Object.fromEntries(Object.entries(positions).filter(([id]) => ids.has(id)));
};

/** The draft to open, and why (shown to the person). */
export function openingDraft(id: string, stored: unknown, design: Saved | null): { draft: Draft; from: string } {
  const parsed = design ? parseDraft(design.source, design.positions) : null;
  if (parsed?.draft) {
    const value = definitionOf(parsed.draft) as Record<string, unknown>;
    if (stored === null || stored === undefined || sameValue({ id, ...value }, stored))
      return { draft: parsed.draft, from: "the saved design" };
  }
  if (stored !== null && stored !== undefined)
    return { draft: draftOf(stored, kept(design?.positions ?? {}, stored)), from: "the journey's draft" };
  const fresh = parseDraft(skeleton(id)).draft;
  if (!fresh) throw new Error("the skeleton must parse");
  return { draft: fresh, from: "a new journey" };
}
