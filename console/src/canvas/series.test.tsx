import { cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";

import type { NodeSeries, SeriesBucket } from "../api/types";
import { query } from "../api/endpoints";
import { reportSince, seriesSince, windowById } from "../journeys/window";
import { bucketText, seriesShape, seriesTotals } from "./series";
import { SeriesChart } from "./SeriesChart";

afterEach(cleanup);

const bucket = (start: string, entered: number, exited: number, sent: number | null = null): SeriesBucket => ({
  start,
  entered,
  exited,
  errored: 0,
  sent,
  failed: sent === null ? null : 0,
  skipped: sent === null ? null : 1,
});

const buckets = [
  bucket("2026-01-05T10:00:00Z", 2, 0),
  bucket("2026-01-05T11:00:00Z", 4, 2),
  bucket("2026-01-05T12:00:00Z", 0, 1),
];
const box = { width: 120, height: 50, left: 20, bottom: 10 };

describe("series shape", () => {
  it("scales both lines to the largest count, the first bucket at the left", () => {
    const shape = seriesShape(buckets, box);
    expect(shape.max).toBe(4);
    expect(shape.entered).toBe("20,20 70,0 120,40");
    expect(shape.exited).toBe("20,40 70,20 120,30");
    expect(shape.slots.map((s) => [s.x, s.width])).toEqual([
      [20, 50],
      [70, 50],
      [120, 50],
    ]);
  });

  it("keeps an empty series flat at zero and a single bucket at the left", () => {
    const shape = seriesShape([bucket("2026-01-05T10:00:00Z", 0, 0)], box);
    expect(shape.max).toBe(1);
    expect(shape.entered).toBe("20,40");
    expect(shape.slots).toHaveLength(1);
  });

  it("reads a bucket's counts, with sends only at a message node", () => {
    expect(bucketText(buckets[1] as SeriesBucket)).toBe("entered 4, exited 2, errored 0");
    expect(bucketText(bucket("2026-01-05T10:00:00Z", 1, 1, 3))).toBe(
      "entered 1, exited 1, errored 0, sent 3, failed 0, skipped 1",
    );
    expect(seriesTotals(buckets)).toEqual({ entered: 6, exited: 3 });
  });
});

describe("window", () => {
  const now = Date.parse("2026-01-05T12:00:00Z");

  it("turns the chosen window into the report's and the series' since", () => {
    expect(reportSince(windowById("1h"), now)).toBe("2026-01-05T11:00:00.000Z");
    expect(reportSince(windowById("7d"), now)).toBe("2025-12-29T12:00:00.000Z");
    expect(reportSince(windowById("all"), now)).toBeNull();
    expect(seriesSince(windowById("all"), now)).toBe("2025-12-06T12:00:00.000Z");
    expect(windowById("nonsense").id).toBe("all");
  });

  it("leaves what is not given out of the query", () => {
    expect(query({ version: 2, since: null, goal: "order.completed" })).toBe("version=2&goal=order.completed");
    expect(query({ since: "2026-01-05T11:00:00.000Z" })).toBe("since=2026-01-05T11%3A00%3A00.000Z");
  });
});

describe("series chart", () => {
  it("is an image named for its node, each bucket's time in UTC on hover", () => {
    const series: NodeSeries = {
      journey_id: "j",
      version: 1,
      node: "wait_day",
      type: "wait",
      since: "2026-01-05T10:00:00Z",
      until: "2026-01-05T13:00:00Z",
      bucket: "PT1H",
      buckets,
    };
    const { container } = render(<SeriesChart series={series} />);
    const chart = screen.getByRole("img", { name: "Entered and exited over time at wait_day" });
    expect(chart.querySelector("desc")?.textContent).toBe("6 entered and 3 exited in 3 buckets of PT1H");
    const titles = [...container.querySelectorAll("rect title")].map((t) => t.textContent ?? "");
    expect(titles).toHaveLength(3);
    expect(titles[1]).toContain("(2026-01-05 11:00:00 UTC): entered 4, exited 2, errored 0");
    expect(container.querySelector("polyline.line-entered")?.getAttribute("points")).toBe(
      "28,58 174,0 320,116",
    );
  });
});
