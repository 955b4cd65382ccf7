// What every input of the forms shares: its props, and how its text maps to the value
// written into the definition (an empty input removes the key). Pure.

import type { FieldKind } from "./schema";

/** The props of one input: `onValue(undefined)` removes the key from the definition. */
export interface ControlProps {
  /** The input's id: its <label> points at it. */
  id: string;
  /** Its accessible name (the field's title), for the inputs a <label> does not name. */
  label: string;
  value: unknown;
  onValue: (value: unknown) => void;
  invalid: boolean;
  /** Ids of the help and problem texts beside it. */
  describedBy: string | undefined;
  required: boolean;
  placeholder: string | undefined;
}

/** A value as the text of an input: numbers and booleans as written, objects as JSON. */
export function toText(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

/** A number input's text as a number; text that is not one stays text (the validator says so). */
export function numberFrom(text: string): unknown {
  if (text.trim() === "") return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : text;
}

/** Free JSON text (a param of any type): JSON when it parses, else the text itself. */
export function jsonFrom(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Text as a string value; empty removes the key. */
export const textFrom = (text: string): string | undefined => (text === "" ? undefined : text);

/** The value a new list item or map entry starts with. */
export function initialValue(type: FieldKind): unknown {
  switch (type.kind) {
    case "object":
    case "map":
      return {};
    case "array":
      return [];
    case "boolean":
      return false;
    case "enum":
      return type.options[0] ?? "";
    case "integer":
    case "number":
      return type.minimum ?? 0;
    default:
      return "";
  }
}

/** What an empty input shows: the default, else the first example. */
export function placeholderOf(defaultValue: unknown, examples: readonly string[] = []): string | undefined {
  if (defaultValue !== undefined && defaultValue !== null) return toText(defaultValue);
  return examples[0] ? `e.g. ${examples[0]}` : undefined;
}
