import type { LaneReply } from '../../functions/core/settlement/decision';
import type { LaneEvent, OwnedPending, UsageCache } from '../../functions/core/settlement/ports';

/**
 * A usage cache whose successive lane calls count as rounds of one lane, as
 * settlement makes them: the decisions earlier calls made in a state (and
 * that no confirmation settled since) are the lane's own, so the script does
 * not take them for another lane's and ask for a reload. Tests that decide a
 * family event by event, without committing in between, use it.
 */
export function asOneLane<C extends UsageCache>(cache: C): C {
  const states = new Map<string, { incarnation: string; events: Set<string> }>();
  const key = (familyId: number, period: string) => `${familyId}/${period}`;

  const owned = (familyId: number, events: ReadonlyArray<LaneEvent>): OwnedPending => {
    const sent = new Set(events.map((e) => e.event.eventId));
    const counts = new Map<string, number>();
    for (const period of new Set(events.map((e) => e.event.period))) {
      const mine = states.get(key(familyId, period))?.events ?? new Set<string>();
      counts.set(period, [...mine].filter((id) => !sent.has(id)).length);
    }
    return counts;
  };

  const remember = (familyId: number, events: ReadonlyArray<LaneEvent>, reply: LaneReply) => {
    for (const [period, state] of reply.states) {
      const held = states.get(key(familyId, period));
      if (!held || held.incarnation !== state.incarnation) {
        states.set(key(familyId, period), { incarnation: state.incarnation, events: new Set() });
      }
    }
    for (const [i, answer] of reply.replies.entries()) {
      const event = events[i]?.event;
      if (!event || (answer.kind !== 'new' && answer.kind !== 'pending')) continue;
      states.get(key(familyId, event.period))?.events.add(event.eventId);
    }
  };

  const wrapped: Partial<UsageCache> = {
    async decideLane(familyId, events, context) {
      const reply = await cache.decideLane(familyId, events, context, owned(familyId, events));
      remember(familyId, events, reply);
      return reply;
    },
    async confirm(familyId, period, versions, events) {
      await cache.confirm(familyId, period, versions, events);
      for (const e of events) states.get(key(familyId, period))?.events.delete(e.eventId);
    },
    async invalidate(familyId, periods) {
      await cache.invalidate(familyId, periods);
      for (const period of periods) states.delete(key(familyId, period));
    },
  };
  return new Proxy(cache, {
    get(target, property, receiver) {
      if (property in wrapped) return wrapped[property as keyof UsageCache];
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
