import type { ProducedEvent } from '../kafka/local-kafka';
import { topicOfEventType, USAGE_EVENTS_TOPIC } from '../kafka/topics';
import type { GeneratedChangeEvent } from './change-events';
import type { GeneratedEvent } from './generate';

/** An event of a run's input, in the order it was published, with the topic it goes to. */
export interface TimelineEvent extends ProducedEvent {
  readonly topic: string;
}

/**
 * JSONL lines as producers would publish them: each to the topic of its
 * eventType (policy and family events have their own), keyed by its familyId.
 * A line that is not JSON goes to usage-events with a null key, to be
 * rejected there like any malformed record.
 */
export function timelineOfLines(lines: ReadonlyArray<string>): TimelineEvent[] {
  return lines.map((line) => {
    let parsed: { eventType?: unknown; payload?: { familyId?: unknown } } = {};
    try {
      parsed = JSON.parse(line) ?? {};
    } catch {
      return { topic: USAGE_EVENTS_TOPIC, key: null, value: line };
    }
    const familyId = parsed.payload?.familyId;
    return {
      topic: topicOfEventType(parsed.eventType),
      key: familyId === undefined || familyId === null ? null : String(familyId),
      value: line,
    };
  });
}

/** The generated usage stream with the generated family and policy changes spread evenly through it. */
export function timelineOfWorkload(
  usage: ReadonlyArray<GeneratedEvent>,
  changes: ReadonlyArray<GeneratedChangeEvent>,
): TimelineEvent[] {
  const timeline: TimelineEvent[] = [];
  const every = usage.length / (changes.length + 1);
  let next = 0;
  for (const [i, event] of usage.entries()) {
    while (next < changes.length && i >= Math.round((next + 1) * every)) {
      const change = changes[next++] as GeneratedChangeEvent;
      timeline.push({ topic: change.topic, key: change.key, value: change.value });
    }
    timeline.push({ topic: USAGE_EVENTS_TOPIC, key: event.key, value: event.value });
  }
  for (const change of changes.slice(next))
    timeline.push({ topic: change.topic, key: change.key, value: change.value });
  return timeline;
}

export interface Segment {
  readonly topic: string;
  readonly events: TimelineEvent[];
}

/**
 * The timeline cut where the topic changes. Publishing one segment and
 * letting every mapping consume it before publishing the next keeps the
 * timeline's order across topics: an event after a change is decided after it.
 */
export function segmentsOf(timeline: ReadonlyArray<TimelineEvent>): Segment[] {
  const segments: Segment[] = [];
  for (const event of timeline) {
    const last = segments[segments.length - 1];
    if (last && last.topic === event.topic) last.events.push(event);
    else segments.push({ topic: event.topic, events: [event] });
  }
  return segments;
}
