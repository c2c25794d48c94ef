import fc from 'fast-check';
import type { MskRecord } from '../../functions/core/kafka-record';

/**
 * Fuzzed MSK records for the usage-events handler, each with what
 * docs/behaviour.md ("Event contracts", "Rejections") says must become of it:
 * an independent oracle, written from that text and not from the validator.
 *
 * fast-check generates plans (pure data, so they shrink); `materialize` turns a
 * plan into a record at run time, when the clock, the run's id prefix and the
 * seeded families are known.
 */

export const FUZZ_TOPIC = 'usage-events';

/** docs/behaviour.md, "Rejections": the reasons a rejected usage record may carry. */
export const KNOWN_REASONS = [
  'MALFORMED_JSON',
  'SCHEMA_VIOLATION',
  'NOT_A_MEMBER',
  'OUT_OF_WINDOW',
  'EVENT_ID_CONFLICT',
] as const;
export type Reason = (typeof KNOWN_REASONS)[number];

/** The fields that define an event: a reused eventId with another identity is a conflict. */
export interface Identity {
  readonly familyId: number;
  readonly customerId: number;
  /** Trimmed and lower-cased; null when absent or blank. */
  readonly appId: string | null;
  readonly bytesUsed: number;
  readonly eventTimeMs: number;
}

export type Expectation =
  /** A valid event of a member: settled, a duplicate of a settled one, or a conflict with it. */
  | { readonly kind: 'settle'; readonly eventId: string; readonly identity: Identity }
  /** A JSON object whose eventType is a string other than DATA_USAGE. */
  | { readonly kind: 'skip' }
  /** Broken for sure; when it names an eventId, nothing may be settled under it. */
  | { readonly kind: 'reject'; readonly reasons: ReadonlyArray<Reason>; readonly eventId: string | null }
  /** Where the contract leaves room: rejected with one of `reasons`, or settled as `identity`. */
  | {
      readonly kind: 'either';
      readonly reasons: ReadonlyArray<Reason>;
      readonly eventId: string;
      readonly identity: Identity;
    }
  /** Random bytes that happen to be a JSON object: only "accounted for" is checked. */
  | { readonly kind: 'unknown' };

export interface FuzzFamily {
  readonly familyId: number;
  readonly members: ReadonlyArray<number>;
}

export interface FuzzContext {
  readonly nowMs: number;
  /** Unique per run; every generated eventId starts with it. */
  readonly runTag: string;
  /** Unique per run, small: numbers the whitespace-only ids. */
  readonly runNumber: number;
  /** Two seeded families. */
  readonly families: readonly [FuzzFamily, FuzzFamily];
  /** A customer that is a member of neither family. */
  readonly nonMember: number;
  /** A family id that was never seeded. */
  readonly unknownFamily: number;
  readonly maxBytesPerEvent: number;
}

export interface Materialized {
  readonly label: string;
  /** The JSON text (or raw text) before base64; null when the value is null or not built from text. */
  readonly text: string | null;
  readonly value: string | null;
  readonly expect: Expectation;
}

// --- characters ---

/** BMP characters real SQS accepts in a message body (JSON escapes the control characters). */
const SAFE_CHARS = [
  'a',
  'Z',
  '0',
  '-',
  '_',
  ' ',
  ':',
  '{',
  '}',
  '#',
  '/',
  '\\',
  '"',
  "'",
  '\u0000',
  '\u0001',
  '\u0008',
  '\u001f',
  '\u007f',
  '\u0085',
  '\u00a0',
  '\u00e9',
  '\u00df',
  '\u0130',
  '\u03a3',
  '\u0436',
  '\u05d0',
  '\u0627',
  '\u0301',
  '\u200b',
  '\u200d',
  '\u200e',
  '\u202e',
  '\u2028',
  '\u2029',
  '\u3000',
  '\u4e2d',
  '\uac00',
  '\ue000',
  '\ufeff',
  '\ufffd',
] as const;
/**
 * Characters outside the BMP. Real SQS accepts them, but the SQS emulator used
 * by the tests (fauxqs) tests message bodies with a regular expression without
 * the `u` flag and refuses them, so they go only where no dead letter carries them.
 */
const ASTRAL_CHARS = [
  '\u{1f600}',
  '\u{1f468}\u200d\u{1f469}\u200d\u{1f467}',
  '\u{1d518}',
  '\u{1f1f0}\u{1f1f7}',
];
/** Not allowed in an SQS message body at all (#xFFFE, #xFFFF). */
export const SQS_FORBIDDEN_CHARS = ['\ufffe', '\uffff'] as const;
/** UTF-16 code units that are not characters on their own. */
export const LONE_SURROGATES = ['\ud800', '\udbff', '\udc00', '\udfff'] as const;
const WHITESPACE = [' ', '\t', '\u3000', '\u00a0'] as const;

const charsFrom = (pool: ReadonlyArray<string>, maxLength: number) =>
  fc.array(fc.constantFrom(...pool), { maxLength }).map((cs) => cs.join(''));

/** App ids are normalised by trim + lower-case; blank is absent (docs/behaviour.md, "Event contracts"). */
export function normaliseApp(raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  const app = raw.trim().toLowerCase();
  return app === '' ? null : app;
}

const utf16Length = (s: string) => s.length;

/** A whitespace-only id, unique per number. */
function blankId(n: number): string {
  let out = '';
  let rest = n;
  do {
    out += WHITESPACE[rest % WHITESPACE.length];
    rest = Math.floor(rest / WHITESPACE.length);
  } while (rest > 0);
  return `${out} `;
}

// --- time ---

const SEOUL_OFFSET_MS = 9 * 3_600_000;
const DAY_MS = 86_400_000;

const TIME_FORMATS = ['iso', 'seconds', 'minutes', 'offset', 'offsetCompact', 'zoneless', 'nanos'] as const;
type TimeFormat = (typeof TIME_FORMATS)[number];
/** Formats that keep milliseconds, so the same instant can be written another way. */
const EXACT_FORMATS = ['iso', 'offset', 'offsetCompact', 'zoneless', 'nanos'] as const;
const OFFSETS_MIN = [540, -330, 0, 840, 765, -720] as const;

const pad = (n: number, w = 2) => String(Math.abs(n)).padStart(w, '0');

/** ISO-8601 text for an instant; returns the instant the text denotes (rounded by the format). */
function formatTime(instant: number, format: TimeFormat, offsetIndex: number): { text: string; ms: number } {
  const wall = (offsetMin: number, ms: number) =>
    new Date(ms + offsetMin * 60_000).toISOString().slice(0, 23);
  const zone = (offsetMin: number, colon: boolean) =>
    `${offsetMin < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(offsetMin) / 60))}${colon ? ':' : ''}${pad(Math.abs(offsetMin) % 60)}`;
  const offset = OFFSETS_MIN[offsetIndex % OFFSETS_MIN.length] ?? 0;
  switch (format) {
    case 'iso':
      return { text: new Date(instant).toISOString(), ms: instant };
    case 'seconds': {
      const ms = Math.floor(instant / 1000) * 1000;
      return { text: `${new Date(ms).toISOString().slice(0, 19)}Z`, ms };
    }
    case 'minutes': {
      const ms = Math.floor(instant / 60_000) * 60_000;
      return { text: `${new Date(ms).toISOString().slice(0, 16)}Z`, ms };
    }
    case 'offset':
      return { text: `${wall(offset, instant)}${zone(offset, true)}`, ms: instant };
    case 'offsetCompact':
      return { text: `${wall(offset, instant)}${zone(offset, false)}`, ms: instant };
    case 'zoneless':
      // No zone: the settlement zone (Asia/Seoul, UTC+9 without DST).
      return { text: wall(SEOUL_OFFSET_MS / 60_000, instant), ms: instant };
    case 'nanos':
      return { text: `${wall(SEOUL_OFFSET_MS / 60_000, instant)}456789`, ms: instant };
  }
}

// --- plans ---

type AppPlan =
  | { readonly kind: 'absent' }
  | { readonly kind: 'null' }
  | { readonly kind: 'known'; readonly app: string; readonly left: string; readonly right: string }
  | { readonly kind: 'text'; readonly text: string };

interface EnvelopePlan {
  readonly family: 0 | 1;
  readonly member: number;
  readonly idSuffix: string;
  readonly astralId: string;
  readonly app: AppPlan;
  readonly bytes: number;
  /** Milliseconds before now; negative is in the future (within the allowed skew). */
  readonly agoMs: number;
  readonly format: TimeFormat;
  readonly offsetIndex: number;
  readonly metadata: boolean;
  readonly subType: unknown;
  readonly unknownField: boolean;
  readonly padJson: boolean;
}

type FieldMutation =
  | { readonly field: 'eventId'; readonly value: unknown }
  | { readonly field: 'eventType'; readonly value: unknown }
  | { readonly field: 'timestamp'; readonly value: unknown }
  | { readonly field: 'payload'; readonly value: unknown }
  | { readonly field: 'familyId' | 'customerId' | 'bytesUsed'; readonly value: unknown }
  | { readonly field: 'appId'; readonly value: unknown };

const MISSING = Symbol('missing');

type NumericField = 'familyId' | 'customerId' | 'bytesUsed';

export type RecordPlan =
  | { readonly kind: 'valid'; readonly env: EnvelopePlan }
  | {
      readonly kind: 'skip';
      readonly env: EnvelopePlan;
      readonly eventType: string;
      readonly breakId: boolean;
    }
  | { readonly kind: 'nullValue' }
  | { readonly kind: 'badBase64'; readonly text: string }
  | {
      readonly kind: 'badUtf8';
      readonly env: EnvelopePlan;
      readonly at: number;
      readonly bytes: ReadonlyArray<number>;
    }
  | { readonly kind: 'truncated'; readonly env: EnvelopePlan; readonly cut: number }
  | { readonly kind: 'nonObject'; readonly text: string }
  | { readonly kind: 'randomBytes'; readonly bytes: ReadonlyArray<number> }
  | { readonly kind: 'wrongField'; readonly env: EnvelopePlan; readonly mutation: FieldMutation }
  | {
      readonly kind: 'literal';
      readonly env: EnvelopePlan;
      readonly field: NumericField;
      readonly template: string;
    }
  | { readonly kind: 'idLength'; readonly env: EnvelopePlan; readonly length: 0 | 128 | 129 | 'blank' }
  | { readonly kind: 'longApp'; readonly env: EnvelopePlan; readonly length: number }
  | { readonly kind: 'badTime'; readonly env: EnvelopePlan; readonly text: string }
  | { readonly kind: 'outOfWindow'; readonly env: EnvelopePlan; readonly when: 'past' | 'future' | 'fixed' }
  | { readonly kind: 'nonMember'; readonly env: EnvelopePlan; readonly which: 'customer' | 'family' }
  | {
      readonly kind: 'reuse';
      readonly of: number;
      readonly change: 'none' | 'recase' | 'reformat' | 'extraField' | 'bytes' | 'family';
    };

const idSuffix = charsFrom(SAFE_CHARS, 10);

const appPlan: fc.Arbitrary<AppPlan> = fc.oneof(
  { weight: 2, arbitrary: fc.constant({ kind: 'absent' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'null' as const }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('known' as const),
      app: fc.mixedCase(fc.constantFrom('com.video.app', 'com.chat.app', 'com.maps.app')),
      left: fc.constantFrom('', ' ', '\t', '\u3000'),
      right: fc.constantFrom('', ' ', '\u00a0'),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('text' as const),
      text: charsFrom([...SAFE_CHARS, ...ASTRAL_CHARS, ...WHITESPACE], 12),
    }),
  },
);

const envelopePlan: fc.Arbitrary<EnvelopePlan> = fc.record({
  family: fc.constantFrom(0 as const, 1 as const),
  member: fc.nat({ max: 10 }),
  idSuffix,
  astralId: fc.oneof(
    { weight: 4, arbitrary: fc.constant('') },
    { weight: 1, arbitrary: charsFrom(ASTRAL_CHARS, 3) },
  ),
  app: appPlan,
  bytes: fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 1, max: 5_000 }) },
    { weight: 1, arbitrary: fc.constantFrom(1, 2 ** 31, 2 ** 32 + 1, 10 * 1024 ** 3) },
  ),
  agoMs: fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 0, max: 20 * DAY_MS }) },
    { weight: 1, arbitrary: fc.integer({ min: -60_000, max: 60_000 }) },
  ),
  format: fc.constantFrom(...TIME_FORMATS),
  offsetIndex: fc.nat({ max: OFFSETS_MIN.length - 1 }),
  metadata: fc.boolean(),
  subType: fc.constantFrom(undefined, 'LTE', 5, null, { nested: true }),
  unknownField: fc.boolean(),
  padJson: fc.boolean(),
});

/** Values of the wrong type (or missing) for each field. */
const wrongValue = fc.constantFrom<unknown>(MISSING, null, true, [], {}, '1', 'NaN', 'Infinity', '-0', '', [
  '1',
]);
const wrongNumber = fc.constantFrom<unknown>(0, -1, 1.5, -1e300, 1e300, 2 ** 53, Number.MAX_VALUE);

/** Any string of 1-128 characters is a valid eventId, so only other types (and '') are wrong. */
const wrongEventId = fc.constantFrom<unknown>(MISSING, null, true, [], {}, '', ['1'], 0, 1, -1, 1.5, 1e300);

const fieldMutation: fc.Arbitrary<FieldMutation> = fc.oneof(
  fc.record({ field: fc.constant('eventId' as const), value: wrongEventId }),
  fc.record({
    field: fc.constant('eventType' as const),
    value: fc.constantFrom<unknown>(MISSING, null, 42, true, [], {}),
  }),
  fc.record({
    field: fc.constant('timestamp' as const),
    value: fc.oneof(wrongValue, fc.constant<unknown>(1_700_000_000_000)),
  }),
  fc.record({
    field: fc.constant('payload' as const),
    value: fc.constantFrom<unknown>(MISSING, null, [], 'payload', 7),
  }),
  fc.record({ field: fc.constant('familyId' as const), value: fc.oneof(wrongValue, wrongNumber) }),
  fc.record({ field: fc.constant('customerId' as const), value: fc.oneof(wrongValue, wrongNumber) }),
  fc.record({ field: fc.constant('bytesUsed' as const), value: fc.oneof(wrongValue, wrongNumber) }),
  fc.record({ field: fc.constant('appId' as const), value: fc.constantFrom<unknown>(42, true, {}, ['x']) }),
);

/** Numeric literals written into the JSON text as is; `{v}` is a valid value of the field. */
const LITERALS = [
  '{v}.0',
  '{v}e0',
  '{v}E+0',
  '{v}.000',
  '{v}.5',
  '0',
  '-0',
  '-0.0',
  '-1',
  '0.5',
  '1e300',
  '1e400',
  '-1e400',
  '9007199254740991',
  '9007199254740992',
  '9007199254740993',
  '123456789012345678901234567890',
  '1e-7',
  '10737418240',
  '10737418241',
] as const;

const badTimes = [
  'not a date',
  '2026-02-30T10:00:00Z',
  '2026-13-01T10:00:00Z',
  '2026-01-01T24:00:00Z',
  '2026-01-01T10:60:00Z',
  '2026-01-01',
  '10:00:00',
  '2026-01-01T10:00:00+25:00',
  '2026-01-01T10:00:00.Z',
  ' 2026-01-01T10:00:00Z',
  '2026-01-01T10:00:00Z\u0000',
  '\u4e2d\u6587',
];

export const recordPlan: fc.Arbitrary<RecordPlan> = fc.oneof(
  { weight: 10, arbitrary: fc.record({ kind: fc.constant('valid' as const), env: envelopePlan }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('skip' as const),
      env: envelopePlan,
      eventType: fc.oneof(
        fc.constantFrom('DATA_USAGE_V2', 'data_usage', ' DATA_USAGE', 'DATA_USAGE ', '', 'VOICE'),
        charsFrom(SAFE_CHARS, 6),
      ),
      breakId: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'nullValue' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('badBase64' as const),
      text: fc.oneof(
        fc.constantFrom('!!!!', 'eyJ', 'eyJhIjoxfQ', 'e=yJ', '====', 'eyJh\nIjox', 'ey Jh', '-_-_', 'a'),
        fc.string({ minLength: 1, maxLength: 30 }).map((s) => `${s}*`),
      ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('badUtf8' as const),
      env: envelopePlan,
      at: fc.nat(),
      bytes: fc.constantFrom([0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf8, 0x88, 0x80]),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('truncated' as const),
      env: envelopePlan,
      cut: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('nonObject' as const),
      text: fc.constantFrom('[]', '[{"eventId":"x"}]', '42', '"DATA_USAGE"', 'true', 'null', '-0', '1e999'),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('randomBytes' as const),
      bytes: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 64 }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('wrongField' as const),
      env: envelopePlan,
      mutation: fieldMutation,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('literal' as const),
      env: envelopePlan,
      field: fc.constantFrom('familyId' as const, 'customerId' as const, 'bytesUsed' as const),
      template: fc.constantFrom(...LITERALS),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('idLength' as const),
      env: envelopePlan,
      length: fc.constantFrom(0 as const, 128 as const, 129 as const, 'blank' as const),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('longApp' as const),
      env: envelopePlan,
      length: fc.constantFrom(255, 256, 257, 1_000),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('badTime' as const),
      env: envelopePlan,
      text: fc.constantFrom(...badTimes),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('outOfWindow' as const),
      env: envelopePlan,
      when: fc.constantFrom('past' as const, 'future' as const, 'fixed' as const),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('nonMember' as const),
      env: envelopePlan,
      which: fc.constantFrom('customer' as const, 'family' as const),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('reuse' as const),
      of: fc.nat(),
      change: fc.constantFrom(
        'none' as const,
        'recase' as const,
        'reformat' as const,
        'extraField' as const,
        'bytes' as const,
        'family' as const,
      ),
    }),
  },
);

export interface KafkaPlan {
  readonly partition: 0 | 1;
  readonly key: 'family' | 'null' | 'garbage' | 'badBase64' | 'empty';
  readonly headers: ReadonlyArray<{ readonly name: string; readonly bytes: ReadonlyArray<number> }>;
}

export const kafkaPlan: fc.Arbitrary<KafkaPlan> = fc.record({
  partition: fc.constantFrom(0 as const, 1 as const),
  key: fc.constantFrom(
    'family' as const,
    'null' as const,
    'garbage' as const,
    'badBase64' as const,
    'empty' as const,
  ),
  headers: fc.array(
    fc.record({
      name: fc.oneof(fc.constantFrom('traceparent', 'content-type', ''), charsFrom(SAFE_CHARS, 8)),
      bytes: fc.oneof(
        fc.constant([]),
        fc.array(fc.integer({ min: -128, max: 127 }), { maxLength: 24 }),
        fc.constant([-22, -107, -100, 0, 127, -128]),
      ),
    }),
    { maxLength: 3 },
  ),
});

// --- materializing ---

/** An envelope built from a plan, with its JSON object still editable. */
interface Built {
  readonly eventId: string;
  readonly json: Record<string, unknown> & { payload: Record<string, unknown> };
  readonly identity: Identity;
  readonly format: TimeFormat;
}

const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

function buildEnvelope(plan: EnvelopePlan, ctx: FuzzContext, slot: number, allowAstral: boolean): Built {
  const family = ctx.families[plan.family];
  const customerId = family.members[plan.member % family.members.length] ?? family.members[0] ?? 1;
  const eventId = `${ctx.runTag}.${slot}.${plan.idSuffix}${allowAstral ? plan.astralId : ''}`;
  const { text: timestamp, ms } = formatTime(ctx.nowMs - plan.agoMs, plan.format, plan.offsetIndex);
  const rawApp =
    plan.app.kind === 'known'
      ? `${plan.app.left}${plan.app.app}${plan.app.right}`
      : plan.app.kind === 'text'
        ? plan.app.text
        : null;
  const payload: Record<string, unknown> = { familyId: family.familyId, customerId, bytesUsed: plan.bytes };
  if (plan.app.kind !== 'absent') payload.appId = rawApp;
  if (plan.metadata) payload.metadata = { deviceId: 'dev-1', networkType: '5G' };
  const json: Built['json'] = { eventId, eventType: 'DATA_USAGE', timestamp, payload };
  if (plan.subType !== undefined) json.subType = plan.subType;
  if (plan.unknownField) json.producerVersion = { major: 2 };
  return {
    eventId,
    json,
    identity: {
      familyId: family.familyId,
      customerId,
      appId: normaliseApp(rawApp),
      bytesUsed: plan.bytes,
      eventTimeMs: ms,
    },
    format: plan.format,
  };
}

const RAW = '__RAW_LITERAL__';

function serialise(json: unknown, padJson = false): string {
  const text = JSON.stringify(json);
  return padJson ? ` \n${text}\t\r\n` : text;
}

/** What a numeric JSON literal means for an id or a byte count (docs/behaviour.md: integer > 0, safe). */
function literalIsValid(literal: string, field: NumericField, maxBytes: number): boolean {
  const v = JSON.parse(literal) as number;
  if (!Number.isSafeInteger(v) || v <= 0) return false;
  // Beyond 2^53 a literal may parse to a safe-looking neighbour; those are not safe integers.
  const digits = literal.replace(/^-/, '');
  if (/^\d+$/.test(digits) && BigInt(digits) > BigInt(Number.MAX_SAFE_INTEGER)) return false;
  return field !== 'bytesUsed' || v <= maxBytes;
}

/** Strict UTF-8 then JSON, as the contract describes the value: is it a JSON object? */
function parsesToObject(bytes: Uint8Array): 'not-json' | 'non-object' | 'object' {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return 'not-json';
  }
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? 'object' : 'non-object';
  } catch {
    return 'not-json';
  }
}

export interface Earlier {
  readonly eventId: string;
  readonly built: Built;
  readonly plan: EnvelopePlan;
}

const NON_OBJECT: ReadonlyArray<Reason> = ['MALFORMED_JSON', 'SCHEMA_VIOLATION'];

/**
 * Turns a plan into a record value and its expectation. `earlier` holds the
 * valid envelopes of this batch so far (for `reuse`); it is appended to.
 */
export function materialize(
  plan: RecordPlan,
  ctx: FuzzContext,
  slot: number,
  earlier: Earlier[],
): Materialized {
  const reject = (reasons: ReadonlyArray<Reason>, eventId: string | null = null): Expectation => ({
    kind: 'reject',
    reasons,
    eventId,
  });
  switch (plan.kind) {
    case 'valid': {
      const built = buildEnvelope(plan.env, ctx, slot, true);
      earlier.push({ eventId: built.eventId, built, plan: plan.env });
      const text = serialise(built.json, plan.env.padJson);
      return {
        label: 'valid',
        text,
        value: base64(text),
        expect: { kind: 'settle', eventId: built.eventId, identity: built.identity },
      };
    }
    case 'skip': {
      const built = buildEnvelope(plan.env, ctx, slot, false);
      const json: Record<string, unknown> = { ...built.json, eventType: plan.eventType };
      if (plan.breakId) json.eventId = 42;
      const text = serialise(json);
      return { label: 'skip', text, value: base64(text), expect: { kind: 'skip' } };
    }
    case 'nullValue':
      return { label: 'null value', text: null, value: null, expect: reject(NON_OBJECT) };
    case 'badBase64':
      return { label: 'bad base64', text: null, value: plan.text, expect: reject(['MALFORMED_JSON']) };
    case 'badUtf8': {
      const built = buildEnvelope(plan.env, ctx, slot, false);
      const bytes = Buffer.from(serialise(built.json), 'utf8');
      const at = plan.at % (bytes.length + 1);
      const broken = Buffer.concat([bytes.subarray(0, at), Buffer.from(plan.bytes), bytes.subarray(at)]);
      return {
        label: 'bad utf-8',
        text: null,
        value: broken.toString('base64'),
        expect: reject(['MALFORMED_JSON']),
      };
    }
    case 'truncated': {
      const built = buildEnvelope(plan.env, ctx, slot, false);
      const full = serialise(built.json);
      // Any proper prefix of a serialised object lacks its closing brace: never JSON.
      const text = full.slice(0, Math.floor(plan.cut * full.length));
      return {
        label: 'truncated json',
        text,
        value: base64(text),
        expect: reject(['MALFORMED_JSON'], built.eventId),
      };
    }
    case 'nonObject':
      return {
        label: 'json non-object',
        text: plan.text,
        value: base64(plan.text),
        expect: reject(NON_OBJECT),
      };
    case 'randomBytes': {
      const bytes = Uint8Array.from(plan.bytes);
      const parsed = parsesToObject(bytes);
      const expect: Expectation =
        parsed === 'not-json'
          ? reject(['MALFORMED_JSON'])
          : parsed === 'non-object'
            ? reject(NON_OBJECT)
            : { kind: 'unknown' };
      return { label: 'random bytes', text: null, value: Buffer.from(bytes).toString('base64'), expect };
    }
    case 'wrongField': {
      const built = buildEnvelope(plan.env, ctx, slot, false);
      const { json } = built;
      const { field, value } = plan.mutation;
      const target: Record<string, unknown> =
        field === 'familyId' || field === 'customerId' || field === 'bytesUsed' || field === 'appId'
          ? json.payload
          : json;
      if (value === MISSING) delete target[field];
      else target[field] = value;
      const text = serialise(json);
      const named = field === 'eventId' ? null : built.eventId;
      return {
        label: `wrong ${field}`,
        text,
        value: base64(text),
        expect: reject(['SCHEMA_VIOLATION'], named),
      };
    }
    case 'literal': {
      const built = buildEnvelope(plan.env, ctx, slot, false);
      const valid = built.identity[plan.field];
      const literal = plan.template.replace('{v}', String(valid));
      built.json.payload[plan.field] = RAW;
      const text = serialise(built.json).replace(`"${RAW}"`, literal);
      const ok = literalIsValid(literal, plan.field, ctx.maxBytesPerEvent);
      if (ok && plan.field !== 'bytesUsed' && JSON.parse(literal) !== valid) {
        // A well-formed id, but of nobody in the seeded families.
        return {
          label: `literal ${plan.field} (other id)`,
          text,
          value: base64(text),
          expect: reject(['NOT_A_MEMBER'], built.eventId),
        };
      }
      if (ok) {
        const identity = { ...built.identity, [plan.field]: JSON.parse(literal) as number };
        return {
          label: `literal ${plan.field} (valid)`,
          text,
          value: base64(text),
          expect: { kind: 'settle', eventId: built.eventId, identity },
        };
      }
      return {
        label: `literal ${plan.field} (invalid)`,
        text,
        value: base64(text),
        expect: reject(['SCHEMA_VIOLATION'], built.eventId),
      };
    }
    case 'idLength': {
      const built = buildEnvelope(plan.env, ctx, slot, false);
      const prefix = `${ctx.runTag}.${slot}.`;
      let eventId: string;
      if (plan.length === 'blank') eventId = blankId(ctx.runNumber * 64 + slot);
      else if (plan.length === 0) eventId = '';
      else eventId = (prefix + '\u4e2d'.repeat(plan.length)).slice(0, plan.length);
      if (typeof plan.length === 'number' && utf16Length(eventId) !== plan.length) {
        throw new Error(`eventId of length ${utf16Length(eventId)}, wanted ${plan.length}`);
      }
      built.json.eventId = eventId;
      const text = serialise(built.json);
      const expect: Expectation =
        plan.length === 128
          ? { kind: 'settle', eventId, identity: built.identity }
          : plan.length === 'blank'
            ? // "required, 1-128 chars": a blank id is as good as none; rejecting it is allowed, settling it too.
              { kind: 'either', reasons: ['SCHEMA_VIOLATION'], eventId, identity: built.identity }
            : reject(['SCHEMA_VIOLATION']);
      return { label: `eventId length ${plan.length}`, text, value: base64(text), expect };
    }
    case 'longApp': {
      const built = buildEnvelope(plan.env, ctx, slot, false);
      const app = `App.${'x'.repeat(plan.length)}`.slice(0, plan.length);
      built.json.payload.appId = app;
      const text = serialise(built.json);
      // appId is bounded (256 characters): a long one is rejected, or settles within the bound.
      return {
        label: 'long appId',
        text,
        value: base64(text),
        expect: {
          kind: 'either',
          reasons: ['SCHEMA_VIOLATION'],
          eventId: built.eventId,
          identity: { ...built.identity, appId: normaliseApp(app) },
        },
      };
    }
    case 'badTime': {
      const built = buildEnvelope(plan.env, ctx, slot, false);
      built.json.timestamp = plan.text;
      const text = serialise(built.json);
      return {
        label: 'bad timestamp',
        text,
        value: base64(text),
        expect: reject(['SCHEMA_VIOLATION'], built.eventId),
      };
    }
    case 'outOfWindow': {
      const built = buildEnvelope(plan.env, ctx, slot, false);
      const at =
        plan.when === 'past'
          ? ctx.nowMs - 70 * DAY_MS - (plan.env.agoMs % (300 * DAY_MS))
          : plan.when === 'future'
            ? ctx.nowMs + 30 * 60_000 + plan.env.agoMs
            : plan.env.agoMs % 2 === 0
              ? Date.UTC(1970, 0, 1)
              : Date.UTC(2999, 11, 31, 23, 59, 59);
      built.json.timestamp = formatTime(at, plan.env.format, plan.env.offsetIndex).text;
      const text = serialise(built.json);
      return {
        label: `out of window (${plan.when})`,
        text,
        value: base64(text),
        expect: reject(['OUT_OF_WINDOW'], built.eventId),
      };
    }
    case 'nonMember': {
      const built = buildEnvelope(plan.env, ctx, slot, false);
      if (plan.which === 'customer') built.json.payload.customerId = ctx.nonMember;
      else built.json.payload.familyId = ctx.unknownFamily;
      const text = serialise(built.json);
      return {
        label: `non-member (${plan.which})`,
        text,
        value: base64(text),
        expect: reject(['NOT_A_MEMBER'], built.eventId),
      };
    }
    case 'reuse': {
      const original = earlier.length > 0 ? earlier[plan.of % earlier.length] : undefined;
      if (!original) {
        // Nothing to reuse yet: a fresh valid event.
        return materialize({ kind: 'valid', env: defaultEnvelope(plan.of) }, ctx, slot, earlier);
      }
      const json = structuredClone(original.built.json);
      let identity = original.built.identity;
      // A conflict's dead letter carries the eventId: no characters the emulator refuses.
      const conflicting = plan.change === 'bytes' || plan.change === 'family';
      if (conflicting && [...original.eventId].some((c) => (c.codePointAt(0) ?? 0) > 0xffff)) {
        return materialize({ kind: 'valid', env: defaultEnvelope(plan.of) }, ctx, slot, earlier);
      }
      switch (plan.change) {
        case 'none':
          break;
        case 'recase': {
          const app = json.payload.appId;
          if (typeof app === 'string') {
            // Usually the same app id once normalised; not always ('\u00df' upper-cases to 'SS').
            json.payload.appId = ` ${app.toUpperCase()} `;
            identity = { ...identity, appId: normaliseApp(json.payload.appId) };
          }
          break;
        }
        case 'reformat': {
          const exact = EXACT_FORMATS[(slot + original.plan.offsetIndex) % EXACT_FORMATS.length] ?? 'iso';
          json.timestamp = formatTime(identity.eventTimeMs, exact, slot).text;
          break;
        }
        case 'extraField':
          json.retry = true;
          json.payload.metadata = { deviceId: 'other-device' };
          break;
        case 'bytes':
          json.payload.bytesUsed = identity.bytesUsed + 1;
          identity = { ...identity, bytesUsed: identity.bytesUsed + 1 };
          break;
        case 'family': {
          const other = ctx.families[identity.familyId === ctx.families[0].familyId ? 1 : 0];
          const customerId = other.members[0] ?? 1;
          json.payload.familyId = other.familyId;
          json.payload.customerId = customerId;
          identity = { ...identity, familyId: other.familyId, customerId };
          break;
        }
      }
      const text = serialise(json);
      return {
        label: `reuse (${plan.change})`,
        text,
        value: base64(text),
        expect: { kind: 'settle', eventId: original.eventId, identity },
      };
    }
  }
}

function defaultEnvelope(n: number): EnvelopePlan {
  return {
    family: 0,
    member: n,
    idSuffix: 'fresh',
    astralId: '',
    app: { kind: 'absent' },
    bytes: 1 + (n % 100),
    agoMs: 60_000,
    format: 'iso',
    offsetIndex: 0,
    metadata: false,
    subType: undefined,
    unknownField: false,
    padJson: false,
  };
}

/** The Kafka key and headers of a record, none of which matters to validation; written at `writtenMs`. */
export function mskRecordOf(
  kafka: KafkaPlan,
  offset: number,
  value: string | null,
  familyId: number,
  writtenMs: number,
): MskRecord {
  const key =
    kafka.key === 'family'
      ? base64(String(familyId))
      : kafka.key === 'null'
        ? null
        : kafka.key === 'garbage'
          ? base64('\u0000\u{1f600}key')
          : kafka.key === 'badBase64'
            ? 'not base64!'
            : '';
  return {
    topic: FUZZ_TOPIC,
    partition: kafka.partition,
    offset,
    timestamp: writtenMs,
    timestampType: 'CREATE_TIME',
    key,
    value,
    headers: kafka.headers.map((h) => ({ [h.name]: [...h.bytes] })),
  };
}
