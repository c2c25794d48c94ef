import { localParts, zonedToEpoch } from '../../functions/core/time';
import { generateChangeEvents } from './change-events';
import { DEMO_WORKLOAD, generateWorkload, type TimeSpan, type WorkloadFamily } from './generate';
import { seededRandom } from './random';
import { type TimelineEvent, timelineOfWorkload } from './timeline';

/** The generated demo publishes one family or policy change per this many usage events. */
const CONFIG_EVENTS_PER_USAGE_EVENT = 0.01;

export interface DemoOptions {
  readonly seed: number;
  readonly families: number;
  readonly events: number;
}

export interface Demo {
  readonly families: ReadonlyArray<WorkloadFamily>;
  /** Usage events with the family and policy changes spread through them, in publishing order. */
  readonly timeline: ReadonlyArray<TimelineEvent>;
  /** The local day the usage events fall on. */
  readonly eventTimes: TimeSpan;
}

const startOfLocalDay = (epochMs: number, timeZone: string) => {
  const { year, month, day } = localParts(epochMs, timeZone);
  return zonedToEpoch({ year, month, day }, timeZone);
};

/**
 * The local day before the one `nowMs` falls on: in the past for every run of
 * that day and inside the window the product accepts (it opens with the
 * previous period), so the events a seed generates do not move with the clock.
 */
export function previousLocalDay(nowMs: number, timeZone: string): TimeSpan {
  const toMs = startOfLocalDay(nowMs, timeZone);
  return { fromMs: startOfLocalDay(toMs - 1, timeZone), toMs };
}

/**
 * `npm start`'s generated input: demo families, their usage and the family and
 * policy changes among it. Everything random is drawn from the seed, every
 * time from the day before `nowMs`: one seed on one day gives the same events.
 */
export function demoWorkload(options: DemoOptions, nowMs: number): Demo {
  const eventTimes = previousLocalDay(nowMs, DEMO_WORKLOAD.timeZone);
  const generated = generateWorkload({
    ...DEMO_WORKLOAD,
    seed: options.seed,
    families: options.families,
    events: options.events,
    nowMs: eventTimes.toMs,
    eventTimes,
    zeroRatedShare: 0.1,
  });
  const changes = generateChangeEvents(
    seededRandom(options.seed + 1),
    generated.families,
    Math.round(options.events * CONFIG_EVENTS_PER_USAGE_EVENT),
    { nowMs: eventTimes.toMs, staleShare: 0.1, seed: options.seed, topupShare: 0.15, zeroRating: true },
  );
  return {
    families: generated.families,
    timeline: timelineOfWorkload(generated.events, changes),
    eventTimes,
  };
}
