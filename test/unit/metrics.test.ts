import { describe, expect, it } from "vitest";
import { MetricsRegistry } from "../../src/common/metrics.ts";

describe("the Prometheus text format", () => {
  it("writes counters, histograms and gauges with their help, type and escaped labels", async () => {
    const registry = new MetricsRegistry();
    const counter = registry.counter("x_total", "Things.");
    counter.inc({ kind: 'a "quoted"\nvalue' });
    counter.inc({ kind: 'a "quoted"\nvalue' }, 2);
    const histogram = registry.histogram("y_seconds", "Times.", [0.1, 1]);
    histogram.observe(0.05);
    histogram.observe(0.5);
    histogram.observe(5);
    const gauge = registry.gauge("z", "Levels.");
    gauge.collect(() => [[{ q: "a" }, 1]]);
    gauge.collect(async () => [[{ q: "a" }, 2], [{ q: "b" }, 3]]);
    registry.counter("unused_total", "Never set: not shown.");
    expect(await registry.render()).toBe(
      [
        "# HELP x_total Things.",
        "# TYPE x_total counter",
        'x_total{kind="a \\"quoted\\"\\nvalue"} 3',
        "# HELP y_seconds Times.",
        "# TYPE y_seconds histogram",
        'y_seconds_bucket{le="0.1"} 1',
        'y_seconds_bucket{le="1"} 2',
        'y_seconds_bucket{le="+Inf"} 3',
        "y_seconds_sum 5.55",
        "y_seconds_count 3",
        "# HELP z Levels.",
        "# TYPE z gauge",
        'z{q="a"} 2',
        'z{q="b"} 3',
        "",
      ].join("\n"),
    );
  });
});
