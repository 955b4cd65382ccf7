// A node's visits over time in its panel: entered and exited per bucket as two lines of a
// small SVG chart, each bucket's counts and time on hover (viewer's zone, UTC beside).

import type { NodeSeries } from "../api/types";
import { formatCount, formatTime, formatUtc } from "../app/format";
import { Time } from "../app/Time";
import { bucketText, seriesShape, seriesTotals } from "./series";

const BOX = { width: 320, height: 120, left: 28, bottom: 4 };

export function SeriesChart({ series }: { series: NodeSeries }) {
  const { buckets } = series;
  const shape = seriesShape(buckets, BOX);
  const totals = seriesTotals(buckets);
  const name = `Entered and exited over time at ${series.node}`;
  const plotH = BOX.height - BOX.bottom;
  return (
    <figure className="series-chart">
      <svg
        role="img"
        aria-label={name}
        viewBox={`0 0 ${BOX.width} ${BOX.height}`}
        width={BOX.width}
        height={BOX.height}
      >
        <desc>
          {`${formatCount(totals.entered)} entered and ${formatCount(totals.exited)} exited in ${buckets.length} buckets of ${series.bucket}`}
        </desc>
        <line x1={BOX.left} y1={plotH} x2={BOX.width} y2={plotH} className="axis" />
        <text x={BOX.left - 4} y={10} textAnchor="end" className="tick">
          {formatCount(shape.max)}
        </text>
        <text x={BOX.left - 4} y={plotH} textAnchor="end" className="tick">
          0
        </text>
        <polyline points={shape.entered} className="line-entered" fill="none" />
        <polyline points={shape.exited} className="line-exited" fill="none" />
        {shape.slots.map(({ bucket: b, x, width }) => (
          <rect
            key={b.start}
            x={x - width / 2}
            y={0}
            width={width}
            height={plotH}
            className="slot"
          >
            <title>{`${formatTime(b.start)} (${formatUtc(b.start)}): ${bucketText(b)}`}</title>
          </rect>
        ))}
      </svg>
      <figcaption>
        <span className="key-entered">entered</span> <span className="key-exited">exited</span> per {series.bucket},{" "}
        <Time at={series.since} /> – <Time at={series.until} />
      </figcaption>
    </figure>
  );
}
