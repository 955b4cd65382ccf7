// `vars.<node id>` (and `vars['<node id>']`) inside an expression or a template, renamed
// when the node is: what an action, a fetch or a decide produced lands in `vars` under the
// node's id, so the expressions reading it must follow a rename. Pure.
//
// Rewritten rather than left to the validator because the server does not check the names
// read from `vars` (any `vars.x` compiles; an unknown one is undefined at run time), so a
// stale reference would pass validation and silently read nothing. The rewrite is kept
// precise by reading the text as Jinja does: only code (`{{ … }}` and `{% … %}` of a
// template, all of an expression; not plain text, `{# … #}` comments or `{% raw %}`
// blocks), never inside a string literal, and only where `vars` is a name of its own (not
// `myvars` or `loop.vars`) followed by exactly the old id as a whole name. What it cannot
// see is a template that rebinds `vars` itself ({% set vars = … %}), which nobody writes.

import type { ExpressionMode } from "./form/schema";

const IDENTIFIER = /^[A-Za-z_]\w*$/;
/** `vars.name` or `vars['name']` / `vars["name"]`, read at one place (sticky). */
const REFERENCE = /vars\s*(?:\.\s*([A-Za-z_]\w*)|\[\s*(['"])([A-Za-z0-9_-]*)\2\s*\])/y;
const NAME_CHAR = /[\w.]/;
const RAW_END = /\{%-?\s*endraw\s*-?%\}/g;

/** How code names node `id` in vars: `vars.id`, or `vars['id']` when it is no identifier
 * (a dash, a leading digit); a subscript keeps its quote. */
function reference(id: string, quote: string | undefined): string {
  if (quote) return `vars[${quote}${id}${quote}]`;
  return IDENTIFIER.test(id) ? `vars.${id}` : `vars['${id}']`;
}

/** The end of the string literal opening at `start` (the index after its closing quote). */
function stringEnd(code: string, start: number): number {
  const quote = code.charAt(start);
  let i = start + 1;
  while (i < code.length && code.charAt(i) !== quote) i += code.charAt(i) === "\\" ? 2 : 1;
  return Math.min(i + 1, code.length);
}

/** The reference to `from` at `i`, or null: its length and its replacement. */
function referenceAt(code: string, i: number, from: string, to: string): { length: number; text: string } | null {
  if (i > 0 && NAME_CHAR.test(code.charAt(i - 1))) return null;
  REFERENCE.lastIndex = i;
  const match = REFERENCE.exec(code);
  if (!match || (match[1] ?? match[3]) !== from) return null;
  return { length: match[0].length, text: reference(to, match[2]) };
}

/** Code (an expression, or the inside of a template tag) with every `vars` read of `from`
 * renamed to `to`. */
export function renameVarsInCode(code: string, from: string, to: string): string {
  let out = "";
  let i = 0;
  while (i < code.length) {
    const c = code.charAt(i);
    if (c === "'" || c === '"') {
      const end = stringEnd(code, i);
      out += code.slice(i, end);
      i = end;
      continue;
    }
    const found = c === "v" ? referenceAt(code, i, from, to) : null;
    out += found ? found.text : c;
    i += found ? found.length : 1;
  }
  return out;
}

/** The index just past the code of the tag whose code starts at `start` (at `close`, outside
 * strings), or the end of the text. */
function codeEnd(text: string, start: number, close: string): number {
  let i = start;
  while (i < text.length && !text.startsWith(close, i)) {
    const c = text.charAt(i);
    i = c === "'" || c === '"' ? stringEnd(text, i) : i + 1;
  }
  return Math.min(i, text.length);
}

/** The index of a comment's `#}`, or the end of the text. */
function commentEnd(text: string, start: number): number {
  const at = text.indexOf("#}", start);
  return at < 0 ? text.length : at;
}

const CLOSE: Readonly<Record<string, string>> = { "{{": "}}", "{%": "%}" };

/** A template with the `vars` reads of `from` renamed in its tags only. */
function renameInTemplate(text: string, from: string, to: string): string {
  let out = "";
  let i = 0;
  for (;;) {
    const open = text.slice(i).search(/\{[{%#]/);
    if (open < 0) return out + text.slice(i);
    const start = i + open + 2;
    const kind = text.slice(start - 2, start);
    const close = CLOSE[kind] ?? "}}";
    const end = kind === "{#" ? commentEnd(text, start) : codeEnd(text, start, close);
    const code = text.slice(start, end);
    out += text.slice(i, start) + (kind === "{#" ? code : renameVarsInCode(code, from, to));
    i = end;
    if (kind === "{%" && /^-?\s*raw\s*-?$/.test(code)) {
      RAW_END.lastIndex = i;
      const raw = RAW_END.exec(text);
      const after = raw ? raw.index : text.length;
      out += text.slice(i, after);
      i = after;
    }
  }
}

/** `source` (an expression or a template) with every `vars` read of node `from` renamed to `to`. */
export function renameVars(source: string, mode: ExpressionMode, from: string, to: string): string {
  if (!source.includes("vars")) return source;
  return mode === "expression" ? renameVarsInCode(source, from, to) : renameInTemplate(source, from, to);
}
