// ISO 8601 durations as a number and a unit ("PT2H" ↔ 2 hours), for the duration helper.
// Only one-unit durations have such a pair; any other stays editable as text. Pure.

export type DurationUnit = "seconds" | "minutes" | "hours" | "days" | "weeks" | "months" | "years";

interface UnitSpec {
  unit: DurationUnit;
  letter: string;
  time: boolean; // after the T
}

export const UNITS: readonly UnitSpec[] = [
  { unit: "seconds", letter: "S", time: true },
  { unit: "minutes", letter: "M", time: true },
  { unit: "hours", letter: "H", time: true },
  { unit: "days", letter: "D", time: false },
  { unit: "weeks", letter: "W", time: false },
  { unit: "months", letter: "M", time: false },
  { unit: "years", letter: "Y", time: false },
];

export interface SimpleDuration {
  amount: number;
  unit: DurationUnit;
}

const ONE_UNIT = /^P(?:(\d+)([YMWD])|T(\d+)([HMS]))$/;

/** "PT2H" → {amount: 2, unit: "hours"}; null for anything else ("P1DT2H", "", "soon"). */
export function splitDuration(text: string): SimpleDuration | null {
  const m = ONE_UNIT.exec(text.trim());
  if (!m) return null;
  const time = m[3] !== undefined;
  const letter = time ? m[4] : m[2];
  const spec = UNITS.find((u) => u.letter === letter && u.time === time);
  return spec ? { amount: Number(time ? m[3] : m[1]), unit: spec.unit } : null;
}

/** {amount: 2, unit: "hours"} → "PT2H" (a whole, non-negative amount). */
export function joinDuration({ amount, unit }: SimpleDuration): string {
  const spec = UNITS.find((u) => u.unit === unit);
  const n = Math.max(0, Math.round(amount));
  if (!spec) return `PT${n}H`;
  return spec.time ? `PT${n}${spec.letter}` : `P${n}${spec.letter}`;
}

const PARTS = /^P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;
const PART_UNITS: DurationUnit[] = ["years", "months", "weeks", "days", "hours", "minutes", "seconds"];

/** "P1DT2H" → "1 day 2 hours", for people; null when it is not an ISO 8601 duration. */
export function describeDuration(text: string): string | null {
  const m = PARTS.exec(text.trim());
  if (!m) return null;
  const words = PART_UNITS.flatMap((unit, i) => {
    const value = m[i + 1];
    if (value === undefined) return [];
    const n = Number(value);
    return [`${value} ${n === 1 ? unit.slice(0, -1) : unit}`];
  });
  return words.join(" ");
}
