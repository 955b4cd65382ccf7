// How times, numbers and evaluated values read: times in the viewer's time zone (UTC on
// hover), counts with the viewer's digit grouping.

const numbers = new Intl.NumberFormat();
export const formatCount = (n: number): string => numbers.format(n);

/** A moment in the viewer's zone (or `zone`), to the second. */
export function formatTime(iso: string, zone?: string): string {
  const options: Intl.DateTimeFormatOptions = { dateStyle: "medium", timeStyle: "medium", timeZone: zone };
  return new Intl.DateTimeFormat(undefined, options).format(new Date(iso));
}

/** The time of day of a moment in the viewer's zone (or `zone`), to the second. */
export function formatClock(iso: string, zone?: string): string {
  return new Intl.DateTimeFormat(undefined, { timeStyle: "medium", timeZone: zone }).format(new Date(iso));
}

/** The same moment in UTC, as ISO 8601 reads it: "2026-12-03 14:05:09 UTC". */
export function formatUtc(iso: string): string {
  return `${new Date(iso).toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** An evaluated expression's value as the journey language would write it. */
export function formatValue(value: unknown): string {
  if (value === undefined) return "–";
  return typeof value === "string" ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
}

/** "1.2 /s": a rate, one decimal below ten, whole above. */
export function formatThroughput(perSecond: number | null): string {
  if (perSecond === null || !Number.isFinite(perSecond)) return "–";
  return `${perSecond < 10 ? perSecond.toFixed(1) : formatCount(Math.round(perSecond))} /s`;
}
