// The pure geometry of a node's counts over time: two lines (entered, exited) over the
// buckets, scaled into a chart of a given size, and what each bucket reads aloud.

import type { SeriesBucket } from "../api/types";
import { formatCount } from "../app/format";

export interface ChartBox {
  width: number;
  height: number;
  /** Room left for the axis labels. */
  left: number;
  bottom: number;
}

export interface SeriesShape {
  /** The largest count in any bucket of either line (at least 1, so a flat line sits at 0). */
  max: number;
  entered: string;
  exited: string;
  /** Each bucket with its x centre and width, for its hover target. */
  slots: { bucket: SeriesBucket; x: number; width: number }[];
}

/** `x,y` points of one count over the buckets, the first bucket at the left edge. */
function line(values: number[], box: ChartBox, max: number): string {
  const plotW = box.width - box.left;
  const plotH = box.height - box.bottom;
  const step = values.length > 1 ? plotW / (values.length - 1) : 0;
  return values
    .map((v, i) => `${round(box.left + i * step)},${round(plotH - (v / max) * plotH)}`)
    .join(" ");
}

const round = (n: number): number => Math.round(n * 10) / 10;

export function seriesShape(buckets: SeriesBucket[], box: ChartBox): SeriesShape {
  const max = Math.max(1, ...buckets.map((b) => Math.max(b.entered, b.exited)));
  const plotW = box.width - box.left;
  const step = buckets.length > 1 ? plotW / (buckets.length - 1) : plotW;
  return {
    max,
    entered: line(buckets.map((b) => b.entered), box, max),
    exited: line(buckets.map((b) => b.exited), box, max),
    slots: buckets.map((bucket, i) => ({ bucket, x: round(box.left + i * (buckets.length > 1 ? step : 0)), width: round(step) })),
  };
}

/** What one bucket says on hover and to a screen reader. */
export function bucketText(b: SeriesBucket): string {
  const parts = [`entered ${formatCount(b.entered)}`, `exited ${formatCount(b.exited)}`, `errored ${formatCount(b.errored)}`];
  if (b.sent !== null) parts.push(`sent ${formatCount(b.sent)}`, `failed ${formatCount(b.failed ?? 0)}`, `skipped ${formatCount(b.skipped ?? 0)}`);
  return parts.join(", ");
}

/** The totals over the whole series, for the chart's description. */
export function seriesTotals(buckets: SeriesBucket[]): { entered: number; exited: number } {
  return buckets.reduce((t, b) => ({ entered: t.entered + b.entered, exited: t.exited + b.exited }), { entered: 0, exited: 0 });
}
