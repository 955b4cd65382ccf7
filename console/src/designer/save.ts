// "Save": the design (text and positions, valid or not) always; the draft too when the
// validator finds no problem, so the draft stays what the API accepts.

import { saveDesign, saveDraft, validateYaml } from "./api";
import { draftText, type Draft } from "./draft";
import type { DesignProblem } from "./types";

export interface SaveResult {
  draftSaved: boolean;
  problems: DesignProblem[];
}

export async function save(id: string, draft: Draft): Promise<SaveResult> {
  const text = draftText(draft, "yaml");
  await saveDesign(id, text, draft.positions);
  const { valid, problems } = await validateYaml(text);
  if (!valid) return { draftSaved: false, problems };
  await saveDraft(id, text);
  return { draftSaved: true, problems: [] };
}

export const saveMessage = ({ draftSaved, problems }: SaveResult): string =>
  draftSaved
    ? "Saved: the design and the draft."
    : `Saved the design; the draft is unchanged until ${problems.length} problem${problems.length === 1 ? " is" : "s are"} fixed.`;
