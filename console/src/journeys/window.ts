// The journey page's window: which visits the canvas counts (`since` of the report), and
// the span and bucket of a node's counts over time in its panel.

export interface Window {
  id: string;
  label: string;
  /** Back from now; null: every visit (the report's counts are not narrowed). */
  ms: number | null;
  /** The node series over this window: its span back from now and its bucket. */
  seriesMs: number;
  bucket: string;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const ALL: Window = { id: "all", label: "All time", ms: null, seriesMs: 30 * DAY, bucket: "P1D" };

export const WINDOWS: readonly Window[] = [
  { id: "1h", label: "Last hour", ms: HOUR, seriesMs: HOUR, bucket: "PT2M" },
  { id: "24h", label: "Last 24 hours", ms: DAY, seriesMs: DAY, bucket: "PT1H" },
  { id: "7d", label: "Last 7 days", ms: 7 * DAY, seriesMs: 7 * DAY, bucket: "PT6H" },
  ALL,
];

/** The window of that id; all time for an unknown one. */
export const windowById = (id: string): Window => WINDOWS.find((w) => w.id === id) ?? ALL;

/** The report's `since` for the window at `now` (ISO 8601, UTC); null for all time. */
export const reportSince = (w: Window, now: number): string | null => (w.ms === null ? null : new Date(now - w.ms).toISOString());

/** The node series' `since` at `now`: all time shows the last 30 days. */
export const seriesSince = (w: Window, now: number): string => new Date(now - w.seriesMs).toISOString();
