import { afterEach, describe, expect, it, vi } from 'vitest';
import { acceptedWindow, parseEventTime, periodOf, zonedToEpoch } from '../../functions/core/time';
import { USAGE_EVENTS_TOPIC } from '../../local/kafka/topics';
import { demoWorkload } from '../../local/workload/demo';

const ZONE = 'Asia/Seoul';
const at = (day: number, hour: number, minute = 0) =>
  zonedToEpoch({ year: 2026, month: 12, day, hour, minute }, ZONE);
const OPTIONS = { seed: 42, families: 12, events: 1_500 };

/** The demo as a run at `nowMs` generates it, with the clock itself at `nowMs`: nothing may read another time. */
function generatedAt(nowMs: number, options = OPTIONS) {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(nowMs);
  return demoWorkload(options, nowMs);
}

const usageTimes = (demo: ReturnType<typeof demoWorkload>) =>
  demo.timeline
    .filter((e) => e.topic === USAGE_EVENTS_TOPIC && e.value?.startsWith('{"eventId":"evt-'))
    .map((e) => parseEventTime(JSON.parse(e.value as string).timestamp, ZONE) as number);

afterEach(() => {
  vi.useRealTimers();
});

describe('npm start --seed: the generated demo', () => {
  it('is the same for one seed all day long: families, events, changes and their order', () => {
    const morning = generatedAt(at(5, 0, 1));
    const evening = generatedAt(at(5, 23, 58));

    expect(evening).toEqual(morning);
    expect(morning.timeline.length).toBeGreaterThan(OPTIONS.events);
    expect(generatedAt(at(5, 9), { ...OPTIONS, seed: 43 }).timeline).not.toEqual(morning.timeline);
  });

  it('dates every usage event on the day before the run, inside the window the product accepts', () => {
    for (const nowMs of [at(5, 0, 1), at(1, 0, 1), at(1, 23, 59)]) {
      const demo = generatedAt(nowMs);
      const window = acceptedWindow(nowMs, ZONE, 0);
      const times = usageTimes(demo);
      expect(times.length).toBeGreaterThan(1_000);
      for (const t of times) {
        expect(t).toBeGreaterThanOrEqual(Math.max(demo.eventTimes.fromMs, window.fromMs));
        expect(t).toBeLessThan(demo.eventTimes.toMs);
      }
    }
    // On the 1st the day before is the previous month's last.
    expect(periodOf(generatedAt(at(1, 12)).eventTimes.fromMs, ZONE)).toBe('202611');
  });
});
