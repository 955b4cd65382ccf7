// What the expression field suggests at the caret: the fields of `profile.` and `event.`,
// the node ids of `vars.`, the event names of `events.` (as `events['order.completed']`),
// the roots and helpers for a bare name, filters after `|`, tests after `is`. Pure.

import type { ExpressionMode } from "./schema";
import type { ExpressionNames } from "./names";

export interface Suggestion {
  label: string;
  /** The text that replaces the word being typed. */
  insert: string;
  /** Where the caret goes, counted from the start of `insert`. */
  caret: number;
  detail: string;
}

export interface Completion {
  /** The range of the text the chosen suggestion replaces. */
  from: number;
  to: number;
  items: Suggestion[];
}

/** What the draft adds to the server's names: its node ids (vars) and event names (events). */
export interface DraftNames {
  nodeIds: readonly string[];
  eventNames: readonly string[];
}

const MAX_ITEMS = 50;
const WORD = /[A-Za-z_]\w*$/;

const plain = (label: string, detail: string): Suggestion => ({ label, insert: label, caret: label.length, detail });

/** Inside a template, only the code between `{{ }}` or `{% %}` is completed. */
function inCode(before: string, mode: ExpressionMode): boolean {
  if (mode === "expression") return true;
  const open = Math.max(before.lastIndexOf("{{"), before.lastIndexOf("{%"));
  const close = Math.max(before.lastIndexOf("}}"), before.lastIndexOf("%}"));
  return open > close;
}

/** Whether the caret is inside a quoted string (an odd number of unescaped quotes before it). */
function inString(before: string): boolean {
  let quote: string | null = null;
  for (let i = 0; i < before.length; i++) {
    const c = before.charAt(i);
    if (quote && c === "\\") i++;
    else if (quote && c === quote) quote = null;
    else if (!quote && (c === "'" || c === '"')) quote = c;
  }
  return quote !== null;
}

function memberItems(root: string, names: ExpressionNames, draft: DraftNames): Suggestion[] {
  if (root === "vars") return draft.nodeIds.map((id) => plain(id, "what this node produced"));
  const known = names.roots.find((r) => r.name === root);
  return (known?.fields ?? []).map((field) => plain(field, `${root}.${field}`));
}

/** `events.` → `events['order.completed']`: names with dots need brackets. */
function eventItems(draft: DraftNames): Suggestion[] {
  return draft.eventNames.map((name) => {
    const insert = `['${name}']`;
    return { label: name, insert, caret: insert.length, detail: "the last event of this name" };
  });
}

function bareItems(names: ExpressionNames): Suggestion[] {
  const roots = names.roots.map((r) => plain(r.name, r.doc));
  const helpers = names.helpers.map((h) => {
    const insert = `${h.name}()`;
    return { label: h.signature ?? h.name, insert, caret: insert.length - 1, detail: h.doc };
  });
  return [...roots, ...helpers];
}

const named = (list: ExpressionNames["filters"]): Suggestion[] =>
  list.map((f) => ({ ...plain(f.name, f.doc), label: f.signature ?? f.name }));

function matching(items: Suggestion[], word: string): Suggestion[] {
  const found = items.filter((s) => s.insert.startsWith(word) && s.insert !== word);
  return found.slice(0, MAX_ITEMS);
}

function complete(before: string, names: ExpressionNames, draft: DraftNames): Completion | null {
  const caret = before.length;
  const word = WORD.exec(before)?.[0] ?? "";
  const start = caret - word.length;
  const head = before.slice(0, start);
  const member = /(?:^|[^\w.'"\])])([A-Za-z_]\w*)\.$/.exec(head);
  if (member) {
    const root = member[1] ?? "";
    if (root === "events") return { from: start - 1, to: caret, items: matching(eventItems(draft), `['${word}`) };
    return { from: start, to: caret, items: matching(memberItems(root, names, draft), word) };
  }
  if (/\|\s*$/.test(head)) return { from: start, to: caret, items: matching(named(names.filters), word) };
  if (/\bis\s+(?:not\s+)?$/.test(head)) return { from: start, to: caret, items: matching(named(names.tests), word) };
  if (!word || /[\w.'"\])]$/.test(head)) return null;
  return { from: start, to: caret, items: matching(bareItems(names), word) };
}

/** The suggestions at `caret` in `text`, or null where there is nothing to suggest. */
export function completionsAt(
  text: string,
  caret: number,
  names: ExpressionNames,
  draft: DraftNames,
  mode: ExpressionMode = "expression",
): Completion | null {
  const before = text.slice(0, caret);
  if (!inCode(before, mode) || inString(before)) return null;
  const found = complete(before, names, draft);
  return found && found.items.length > 0 ? found : null;
}

/** The text once `item` replaced the range of `completion`, and the caret after it. */
export function accept(text: string, completion: Completion, item: Suggestion): { text: string; caret: number } {
  const next = text.slice(0, completion.from) + item.insert + text.slice(completion.to);
  return { text: next, caret: completion.from + item.caret };
}
