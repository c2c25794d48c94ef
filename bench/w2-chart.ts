import { describeMachineLine } from './machine';
import { round } from './stats';
import type { W2Results } from './w2-report';

const WIDTH = 720;
const HEIGHT = 360;
const TOP = 64;
const BOTTOM = 280;
const COLORS = { baseline: '#9aa5b1', product: '#1f6feb', p99: '#d1242f' } as const;
const esc = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * W1's chart style for W2: events/s of the A/B rounds (median), and decision
 * latency p50/p99 against the offered rate of the open-loop test, with the
 * 100 ms target.
 */
export function renderW2Chart(results: W2Results): string {
  const parts: string[] = [];
  const ab = results.abSummary;
  const bars = [
    { label: 'baseline', value: ab.baselineEventsPerSecond.median, color: COLORS.baseline },
    { label: 'product', value: ab.productEventsPerSecond.median, color: COLORS.product },
  ];
  const maxBar = Math.max(...bars.map((b) => b.value), 1) * 1.15;
  parts.push(title(190, 'Events/s with AWS latency (median of A/B)'), axis(40, 300));
  bars.forEach((b, i) => {
    const x = 80 + i * 150;
    const top = BOTTOM - (b.value / maxBar) * (BOTTOM - TOP);
    parts.push(
      `<rect x="${x}" y="${round(top, 1)}" width="90" height="${round(BOTTOM - top, 1)}" fill="${b.color}"/>`,
      text(x + 45, top - 6, round(b.value, 0).toLocaleString('en-US'), 13),
      text(x + 45, BOTTOM + 18, b.label, 13),
    );
  });

  // The chart is of settlement alone: steps with the snapshots on are in the table.
  const steps = results.openLoop.filter((o) => !o.snapshots);
  parts.push(title(530, 'Decision latency vs offered rate'), axis(380, 300));
  if (steps.length > 0) {
    const maxY = Math.max(100, ...steps.map((s) => s.decisionLatencyMs.p99 || 0)) * 1.15;
    const y = (ms: number) => BOTTOM - (Math.min(ms, maxY) / maxY) * (BOTTOM - TOP);
    const x = (i: number) => 400 + (steps.length === 1 ? 130 : (i * 260) / (steps.length - 1));
    for (const [key, color] of [
      ['p50', COLORS.product],
      ['p99', COLORS.p99],
    ] as const) {
      const points = steps.map((s, i) => `${round(x(i), 1)},${round(y(s.decisionLatencyMs[key]), 1)}`);
      parts.push(`<polyline points="${points.join(' ')}" fill="none" stroke="${color}" stroke-width="2"/>`);
      steps.forEach((s, i) => {
        parts.push(
          `<circle cx="${round(x(i), 1)}" cy="${round(y(s.decisionLatencyMs[key]), 1)}" r="3" fill="${color}"/>`,
          text(x(i), y(s.decisionLatencyMs[key]) - 6, `${round(s.decisionLatencyMs[key], 0)}`, 11, color),
        );
      });
    }
    steps.forEach((s, i) => {
      parts.push(text(x(i), BOTTOM + 18, `${s.offeredRate}/s${s.keptUp ? '' : ' (behind)'}`, 12));
    });
    const ty = round(y(100), 1);
    parts.push(
      `<line x1="380" y1="${ty}" x2="680" y2="${ty}" stroke="${COLORS.p99}" stroke-dasharray="6 4"/>`,
      `<text x="680" y="${ty - 5}" text-anchor="end" font-size="12" fill="${COLORS.p99}">p99 target 100 ms</text>`,
      text(420, TOP - 4, 'ms: p50 (blue), p99 (red)', 11, '#555'),
    );
  }
  const w = results.workload;
  const caption = [
    `${w.name}: ${w.families.toLocaleString('en-US')} families, ${(w.families * 4).toLocaleString('en-US')} members; ` +
      `injected latency ${w.injectedLatencyMs.dynamodbPerRequest} ms per DynamoDB request, ${w.injectedLatencyMs.redisPerRoundTrip} ms per Redis round trip`,
    `A/B: ${ab.rounds} interleaved rounds; open loop: ${results.openLoop[0]?.pollers ?? 0} concurrent invocations`,
    describeMachineLine(results.machine),
  ];
  caption.forEach((line, i) => {
    parts.push(text(WIDTH / 2, HEIGHT - 44 + i * 15, line, 11, '#555'));
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="Helvetica, Arial, sans-serif">
  <rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>
  ${parts.join('\n  ')}
</svg>
`;
}

function title(x: number, t: string) {
  return `<text x="${x}" y="${TOP - 24}" text-anchor="middle" font-size="14" font-weight="600">${esc(t)}</text>`;
}

function axis(x: number, width: number) {
  return `<line x1="${x}" y1="${BOTTOM}" x2="${x + width}" y2="${BOTTOM}" stroke="#444"/>`;
}

function text(x: number, y: number, t: string, size: number, fill = '#000') {
  return `<text x="${round(x, 1)}" y="${round(y, 1)}" text-anchor="middle" font-size="${size}" fill="${fill}">${esc(t)}</text>`;
}
