// Fire-rate charts drawn on the server as plain SVG (d3-scale for the axes, d3-shape for the
// paths): no chart code reaches the browser, so no page's JavaScript grows.
import { scaleLinear } from "d3-scale";
import { area, line } from "d3-shape";
import { errorMessage } from "../../lib/errors";
import { fireWindow } from "../../lib/worker/drift";
import { getServices } from "../_server/services";
import styles from "./fire-rate-chart.module.css";

/** Buckets of fires, oldest first; bucket i starts at `fromMinute + i * bucketMinutes` (Unix minutes). */
export interface FireSeries {
  fromMinute: number;
  bucketMinutes: number;
  buckets: readonly number[];
}

const fmt = (n: number) => n.toLocaleString("en-US");
const utcTime = (minute: number) => new Date(minute * 60_000).toISOString().slice(11, 16);

function paths(values: readonly number[], width: number, height: number, pad: { top: number; bottom: number; left: number; right: number }) {
  const max = Math.max(1, ...values);
  const x = scaleLinear()
    .domain([0, Math.max(1, values.length - 1)])
    .range([pad.left, width - pad.right]);
  const y = scaleLinear()
    .domain([0, max])
    .nice(3)
    .range([height - pad.bottom, pad.top]);
  const points = values.map((v, i) => [i, v] as const);
  return {
    x,
    y,
    line: line<readonly [number, number]>((p) => x(p[0]), (p) => y(p[1]))(points) ?? "",
    area: area<readonly [number, number]>((p) => x(p[0]), y(0), (p) => y(p[1]))(points) ?? "",
  };
}

/** The rule page's chart: fires per bucket over the window, with a y axis and the window's ends. */
export function FireRateChart({ ruleId, series }: { ruleId: string; series: FireSeries }) {
  const width = 480;
  const height = 140;
  const pad = { top: 8, bottom: 20, left: 40, right: 8 };
  const { buckets, fromMinute, bucketMinutes } = series;
  const total = buckets.reduce((a, b) => a + b, 0);
  const peak = Math.max(0, ...buckets);
  const peakAt = buckets.indexOf(peak);
  const p = paths(buckets, width, height, pad);
  const ticks = p.y.ticks(3).filter(Number.isInteger);
  const label =
    total === 0
      ? `Fires of ${ruleId} over the last 24 hours: none.`
      : `Fires of ${ruleId} over the last 24 hours: ${fmt(total)} in all, at most ${fmt(peak)} per ${bucketMinutes} minutes (from ${utcTime(fromMinute + peakAt * bucketMinutes)} UTC).`;
  return (
    <figure className={styles.figure}>
      <svg viewBox={`0 0 ${width} ${height}`} className={styles.chart} role="img" aria-label={label}>
        <title>{label}</title>
        {ticks.map((t) => (
          <g key={t}>
            <line x1={pad.left} x2={width - pad.right} y1={p.y(t)} y2={p.y(t)} className={styles.grid} />
            <text x={pad.left - 4} y={p.y(t)} className={styles.tick} textAnchor="end" dominantBaseline="middle">
              {fmt(t)}
            </text>
          </g>
        ))}
        <path d={p.area} className={styles.area} />
        <path d={p.line} className={styles.line} />
        <text x={pad.left} y={height - 4} className={styles.tick}>
          24 h ago
        </text>
        <text x={width - pad.right} y={height - 4} className={styles.tick} textAnchor="end">
          now
        </text>
      </svg>
      <figcaption className="muted">
        {total === 0 ? "No fires in the last 24 h." : `${fmt(total)} fires in the last 24 h, summed over the workers, per ${bucketMinutes} min (UTC ${utcTime(fromMinute)}–now).`}
      </figcaption>
    </figure>
  );
}

/** A small line for a table cell (the Workers page's noisiest rules). */
export function FireSparkline({ ruleId, series }: { ruleId: string; series: FireSeries }) {
  const width = 120;
  const height = 24;
  const total = series.buckets.reduce((a, b) => a + b, 0);
  const p = paths(series.buckets, width, height, { top: 2, bottom: 2, left: 1, right: 1 });
  const label = `Fires of ${ruleId} over the last 24 hours: ${fmt(total)}.`;
  return (
    <svg viewBox={`0 0 ${width} ${height}`} width={width} height={height} className={styles.sparkline} role="img" aria-label={label}>
      <title>{label}</title>
      <path d={p.area} className={styles.area} />
      <path d={p.line} className={styles.line} />
    </svg>
  );
}

/** Why there is no chart: the console runs without a database, or the reports could not be read. */
export function FireRateUnavailable({ reason }: { reason: string }) {
  return (
    <p className="muted" role="note">
      {reason}
    </p>
  );
}

export const NO_DATABASE_REASON =
  "No fire-rate chart: workers write their per-minute fire counts to the database, and this console runs on the rules directory (TTP_RULE_STORE=filesystem).";

/** The rule page's section: the last 24 h of the rule's fires, summed over workers (server component). */
export async function RuleFireRate({ ruleId }: { ruleId: string }) {
  const { workerDb, logger } = await getServices();
  let body: React.ReactNode;
  if (!workerDb) body = <FireRateUnavailable reason={NO_DATABASE_REASON} />;
  else {
    const range = fireWindow(Date.now(), 24, 15);
    try {
      const series = (await workerDb.fireSeries([ruleId], range)).get(ruleId) ?? [];
      body = <FireRateChart ruleId={ruleId} series={{ fromMinute: range.fromMinute, bucketMinutes: range.bucketMinutes, buckets: series }} />;
    } catch (err) {
      logger.warn("rule page: reading the fire counts failed", { rule_id: ruleId, error: errorMessage(err) });
      body = <FireRateUnavailable reason="The fire counts could not be read; see the server log." />;
    }
  }
  return (
    <section aria-labelledby="fire-rate-heading" className={styles.section}>
      <h2 id="fire-rate-heading">Fires, last 24 h</h2>
      {body}
    </section>
  );
}
