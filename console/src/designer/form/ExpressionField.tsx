// A Jinja2 expression or template as code, with completion: the fields of `profile.` and
// `event.`, the node ids of `vars.`, the event names of `events.`, the roots and helpers,
// filters after `|`. Arrows move through the list, Enter or Tab accepts, Escape closes.

import { useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent } from "react";

import { accept, completionsAt, type Suggestion } from "./completion";
import { textFrom, toText, type ControlProps } from "./control";
import { useFormEnv } from "./env";
import { NO_NAMES, type ExpressionNames } from "./names";
import type { ExpressionMode } from "./schema";

interface Props extends ControlProps {
  mode: ExpressionMode;
}

function useNames(): ExpressionNames {
  const env = useFormEnv();
  const [names, setNames] = useState<ExpressionNames>(NO_NAMES);
  useEffect(() => {
    let live = true;
    env.names().then(
      (loaded) => live && setNames(loaded),
      () => undefined, // no completion of names then; the field still edits
    );
    return () => {
      live = false;
    };
  }, [env]);
  return names;
}

const NAVIGATION: Record<string, number> = { ArrowDown: 1, ArrowUp: -1 };

export function ExpressionField({ mode, ...p }: Props) {
  const env = useFormEnv();
  const names = useNames();
  const text = toText(p.value);
  const input = useRef<HTMLTextAreaElement>(null);
  const moveCaret = useRef<number | null>(null);
  const [caret, setCaret] = useState<number | null>(null); // null: the list is closed
  const [active, setActive] = useState(0);
  const completion = caret === null ? null : completionsAt(text, caret, names, env, mode);
  const items = completion?.items ?? [];
  const current = Math.min(active, items.length - 1);
  const listId = `${p.id}-completions`;

  useLayoutEffect(() => {
    const at = moveCaret.current;
    if (at !== null && input.current) input.current.setSelectionRange(at, at);
    moveCaret.current = null;
  });

  const choose = (item: Suggestion) => {
    if (!completion) return;
    const next = accept(text, completion, item);
    moveCaret.current = next.caret;
    p.onValue(next.text);
    setCaret(next.caret);
    setActive(0);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (items.length === 0) return;
    const step = NAVIGATION[e.key];
    if (step !== undefined) {
      e.preventDefault();
      setActive((current + step + items.length) % items.length);
    } else if (e.key === "Enter" || e.key === "Tab") {
      const item = items[current];
      if (!item) return;
      e.preventDefault();
      choose(item);
    } else if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation(); // closes the list, not the pane
      setCaret(null);
    }
  };

  return (
    <span className="expression">
      <textarea
        ref={input}
        id={p.id}
        className="code"
        rows={Math.min(6, text.split("\n").length)}
        spellCheck={false}
        autoCapitalize="off"
        autoComplete="off"
        required={p.required}
        placeholder={p.placeholder}
        aria-invalid={p.invalid || undefined}
        aria-describedby={p.describedBy}
        aria-autocomplete="list"
        aria-controls={items.length > 0 ? listId : undefined}
        aria-activedescendant={items.length > 0 ? `${listId}-${current}` : undefined}
        value={text}
        onChange={(e) => {
          p.onValue(textFrom(e.target.value));
          setCaret(e.target.selectionStart);
          setActive(0);
        }}
        onKeyDown={onKeyDown}
        onClick={() => setCaret(null)}
        onBlur={() => setCaret(null)}
      />
      {items.length > 0 && (
        <ul role="listbox" id={listId} aria-label="Suggestions" className="completions">
          {items.map((item, i) => (
            <li
              key={`${item.label}-${i}`}
              id={`${listId}-${i}`}
              role="option"
              aria-selected={i === current}
              onMouseDown={(e) => {
                e.preventDefault(); // keeps the focus in the field
                choose(item);
              }}
            >
              <code>{item.label}</code> <span>{item.detail}</span>
            </li>
          ))}
        </ul>
      )}
    </span>
  );
}
