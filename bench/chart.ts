import { describeMachineLine } from './machine';
import type { BenchResults, RunResult } from './results';
import { round } from './stats';

const WIDTH = 720;
const HEIGHT = 360;
const PANEL = { top: 64, bottom: 280, width: 300 };
const COLORS = { baseline: '#9aa5b1', product: '#1f6feb' } as const;

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

interface Bar {
  readonly label: 'baseline' | 'product';
  readonly value: number;
}

function panel(
  x: number,
  title: string,
  bars: ReadonlyArray<Bar>,
  decimals: number,
  target?: number,
): string {
  const max = Math.max(...bars.map((b) => b.value), target ?? 0) * 1.15 || 1;
  const height = PANEL.bottom - PANEL.top;
  const y = (v: number) => PANEL.bottom - (v / max) * height;
  const barWidth = 90;
  const parts = [
    `<text x="${x + PANEL.width / 2}" y="${PANEL.top - 24}" text-anchor="middle" font-size="14" font-weight="600">${escapeXml(title)}</text>`,
    `<line x1="${x}" y1="${PANEL.bottom}" x2="${x + PANEL.width}" y2="${PANEL.bottom}" stroke="#444"/>`,
  ];
  bars.forEach((bar, i) => {
    const bx = x + 40 + i * (barWidth + 60);
    const top = y(bar.value);
    parts.push(
      `<rect x="${bx}" y="${round(top, 1)}" width="${barWidth}" height="${round(PANEL.bottom - top, 1)}" fill="${COLORS[bar.label]}"/>`,
      `<text x="${bx + barWidth / 2}" y="${round(top - 6, 1)}" text-anchor="middle" font-size="13">${round(bar.value, decimals).toLocaleString('en-US')}</text>`,
      `<text x="${bx + barWidth / 2}" y="${PANEL.bottom + 18}" text-anchor="middle" font-size="13">${bar.label}</text>`,
    );
  });
  if (target !== undefined) {
    const ty = round(y(target), 1);
    parts.push(
      `<line x1="${x}" y1="${ty}" x2="${x + PANEL.width}" y2="${ty}" stroke="#d1242f" stroke-dasharray="6 4"/>`,
      `<text x="${x + PANEL.width}" y="${ty - 5}" text-anchor="end" font-size="12" fill="#d1242f">target ≤ ${target}</text>`,
    );
  }
  return parts.join('\n  ');
}

/**
 * The chart for docs/benchmark.md: throughput with the injected AWS latency and
 * write capacity per settled event (billing model), baseline vs product.
 */
export function renderChart(runs: ReadonlyArray<RunResult>, caption: ReadonlyArray<string>): string {
  const pick = (shape: 'baseline' | 'product', accept: (r: RunResult) => boolean) =>
    runs.find((r) => r.shape === shape && r.mode === 'aws' && accept(r)) ??
    runs.find((r) => r.shape === shape && accept(r));
  const bars = (value: (r: RunResult) => number, accept: (r: RunResult) => boolean): Bar[] =>
    (['baseline', 'product'] as const).flatMap((label) => {
      const run = pick(label, accept) ?? pick(label, () => true);
      return run ? [{ label, value: value(run) }] : [];
    });
  // Throughput: the runs with injected latency. Write cost does not depend on latency: whole-workload runs.
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="Helvetica, Arial, sans-serif">
  <rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>
  ${panel(
    40,
    'Events/s with AWS latency',
    bars(
      (r) => r.eventsPerSecond,
      (r) => r.mode === 'aws',
    ),
    0,
  )}
  ${panel(
    380,
    'WCU per settled event (billing model)',
    bars(
      (r) => r.dynamodb.wcuPerSettledBilling,
      (r) => !r.prefix,
    ),
    2,
    3,
  )}
  ${caption
    .map(
      (line, i) =>
        `<text x="${WIDTH / 2}" y="${HEIGHT - 44 + i * 15}" text-anchor="middle" font-size="11" fill="#555">${escapeXml(line)}</text>`,
    )
    .join('\n  ')}
</svg>
`;
}

/** The chart's caption: workload, injected latency, prefix, machine. */
export function chartCaption(results: BenchResults): string[] {
  const w = results.workload as { name: string; events: number; injectedLatencyMs: Record<string, number> };
  const prefix = results.runs.find((r) => r.prefix);
  return [
    `${w.name}, ${w.events.toLocaleString('en-US')} events; injected latency ${w.injectedLatencyMs.dynamodbPerRequest} ms per DynamoDB request, ` +
      `${w.injectedLatencyMs.redisPerRoundTrip} ms per Redis round trip`,
    `${prefix ? `Baseline throughput measured on the first ${prefix.events.toLocaleString('en-US')} events; ` : ''}WCU on the whole workload`,
    describeMachineLine(results.machine),
  ];
}
