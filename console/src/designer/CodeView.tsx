// The draft as YAML or JSON text, editable: text that parses becomes the draft (the canvas
// follows); text that does not is kept, with the parse error shown. A change made elsewhere
// (the canvas, a form) rewrites the text from the document, comments included.

import { useState } from "react";
import type { Document } from "yaml";

import { draftText, parseDraft, replaceDefinition, type Draft, type Format } from "./draft";

interface Props {
  draft: Draft;
  onChange: (draft: Draft) => void;
}

/** The draft `text` says, or why it says none. */
function read(text: string, format: Format, draft: Draft): Draft | string {
  if (format === "yaml") {
    const parsed = parseDraft(text, draft.positions);
    return parsed.draft ?? parsed.error;
  }
  try {
    const value: unknown = JSON.parse(text);
    if (!value || typeof value !== "object" || Array.isArray(value)) return "the definition must be a JSON object";
    return replaceDefinition(draft, value);
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

interface Shown {
  text: string;
  format: Format;
  /** The document the text was written from or made: another one means the text is stale. */
  doc: Document;
  error: string | null;
}

export function CodeView({ draft, onChange }: Props) {
  const [shown, setShown] = useState<Shown>(() => ({ text: draftText(draft, "yaml"), format: "yaml", doc: draft.doc, error: null }));
  if (shown.doc !== draft.doc) setShown({ text: draftText(draft, shown.format), format: shown.format, doc: draft.doc, error: null });
  const edit = (text: string): void => {
    const next = read(text, shown.format, draft);
    if (typeof next === "string") return setShown({ ...shown, text, error: next });
    setShown({ text, format: shown.format, doc: next.doc, error: null });
    onChange(next);
  };
  const tab = (format: Format) => (
    <button
      type="button"
      role="tab"
      aria-selected={shown.format === format}
      onClick={() => setShown({ text: draftText(draft, format), format, doc: draft.doc, error: null })}
    >
      {format.toUpperCase()}
    </button>
  );
  return (
    <section className="code-view" aria-label="Code">
      <div role="tablist" aria-label="Format">
        {tab("yaml")}
        {tab("json")}
      </div>
      <textarea
        aria-label={`${shown.format.toUpperCase()} text`}
        spellCheck={false}
        value={shown.text}
        onChange={(e) => edit(e.target.value)}
      />
      {shown.error && (
        <p role="alert" className="parse-error">
          Not applied: {shown.error}
        </p>
      )}
    </section>
  );
}
