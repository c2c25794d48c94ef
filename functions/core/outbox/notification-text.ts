import type { PolicyKey } from '../changes/policy-keys';
import { InvariantError } from '../errors';
import type { BlockReason, NotificationRule, Threshold } from '../status-effects';
import type {
  PolicyNotificationData,
  PoolNotificationData,
  RetroactiveBlock,
  UsageNotificationData,
} from './item';

/**
 * Titles and messages members read, one table per locale. Korean is the
 * default because the service's users are Korean. The tables are typed as
 * records over every threshold and block reason, so a new reason that has no
 * text does not compile.
 */
export const NOTIFICATION_LOCALES = ['ko', 'en'] as const;
export type NotificationLocale = (typeof NOTIFICATION_LOCALES)[number];

export interface NotificationText {
  readonly title: string;
  readonly message: string;
}

type Render = (data: UsageNotificationData) => NotificationText;
type PolicyRender = (data: PolicyNotificationData) => NotificationText;
type PoolRender = (data: PoolNotificationData) => NotificationText;

interface LocaleTable {
  readonly threshold: Readonly<Record<Threshold, Render>>;
  readonly blocked: Readonly<Record<BlockReason, Render>>;
  /** A policy change, by the key that changed. */
  readonly policyChanged: Readonly<Record<PolicyKey, PolicyRender>>;
  /** A block a policy change lifted. */
  readonly unblocked: Readonly<Record<RetroactiveBlock, PolicyRender>>;
  /** Data bought for the family, and the empty-pool block it lifted. */
  readonly topup: { readonly applied: PoolRender; readonly unblocked: PoolRender };
  /** A block a correction of the member's usage lifted. */
  readonly corrected: Readonly<Record<'FAMILY_QUOTA_EXCEEDED' | 'MONTHLY_LIMIT_EXCEEDED', PoolRender>>;
}

/** Bytes as members read them on a phone: GB with one decimal, or MB below a GB. */
function amount(bytes: number): string {
  return bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(1)}GB` : `${Math.ceil(bytes / 1024 ** 2)}MB`;
}

const fixed =
  (title: string, message: string): Render =>
  () => ({ title, message });

const ko: LocaleTable = {
  threshold: {
    50: fixed(
      '가족 데이터 50% 미만 남음',
      '가족이 함께 쓰는 데이터가 50% 미만 남았어요. 남은 데이터를 확인해 주세요.',
    ),
    30: fixed(
      '가족 데이터 30% 미만 남음',
      '가족이 함께 쓰는 데이터가 30% 미만 남았어요. 사용량을 조절해 주세요.',
    ),
    10: fixed(
      '가족 데이터 10% 미만 남음',
      '가족이 함께 쓰는 데이터가 10% 미만 남았어요. 곧 모두 사용하게 돼요.',
    ),
  },
  blocked: {
    MANUAL: fixed('데이터 사용 차단', '보호자가 데이터 사용을 차단했어요.'),
    APP_BLOCK: (data) => ({
      title: '앱 데이터 사용 차단',
      message: data.appId
        ? `보호자 설정에 따라 ${data.appId} 앱의 데이터 사용이 차단되었어요.`
        : '보호자 설정에 따라 이 앱의 데이터 사용이 차단되었어요.',
    }),
    TIME_BLOCK: fixed('데이터 사용 제한 시간', '지금은 보호자가 정한 데이터 사용 제한 시간이에요.'),
    MONTHLY_LIMIT_EXCEEDED: fixed(
      '월 데이터 한도 초과',
      '월 개인 데이터 한도를 넘어 데이터 사용이 차단되었어요.',
    ),
    FAMILY_QUOTA_EXCEEDED: fixed(
      '가족 데이터 모두 사용',
      '가족이 함께 쓰는 데이터를 모두 사용해 데이터 사용이 차단되었어요.',
    ),
  },
  policyChanged: {
    'LIMIT:DATA:MONTHLY': (d) => ({
      title: '월 데이터 한도 변경',
      message: d.value === 'none' ? '월 데이터 한도가 해제되었어요.' : '보호자가 월 데이터 한도를 바꿨어요.',
    }),
    'BLOCK:ACCESS': (d) => ({
      title: '데이터 사용 차단 설정 변경',
      message:
        d.value === 'none' ? '보호자가 데이터 사용 차단을 해제했어요.' : '보호자가 데이터 사용을 차단했어요.',
    }),
    'BLOCK:TIME': (d) => ({
      title: '데이터 사용 제한 시간 변경',
      message:
        d.value === 'none'
          ? '데이터 사용 제한 시간이 해제되었어요.'
          : `데이터 사용 제한 시간이 ${d.value}(으)로 바뀌었어요.`,
    }),
    'BLOCK:APP': (d) => ({
      title: '앱 차단 설정 변경',
      message:
        d.value === 'none' ? '앱 데이터 차단이 모두 해제되었어요.' : `데이터 사용이 차단된 앱: ${d.value}`,
    }),
    'ZERO_RATE:APP': (d) => ({
      title: '무료 데이터 앱 변경',
      message:
        d.value === 'none'
          ? '데이터가 차감되지 않는 앱이 없어졌어요.'
          : `데이터가 차감되지 않는 앱: ${d.value}`,
    }),
  },
  unblocked: {
    MANUAL: () => ({ title: '데이터 사용 차단 해제', message: '보호자가 데이터 사용 차단을 해제했어요.' }),
    MONTHLY_LIMIT_EXCEEDED: () => ({
      title: '월 데이터 한도 해제',
      message: '월 개인 데이터 한도가 바뀌어 다시 데이터를 쓸 수 있어요.',
    }),
  },
  topup: {
    applied: (d) => ({
      title: '데이터 충전 완료',
      message: `가족 데이터 ${amount(d.bytes)}가 충전되었어요. 남은 데이터: ${amount(d.remainingBytes)}`,
    }),
    unblocked: () => ({
      title: '데이터 다시 사용 가능',
      message: '가족 데이터가 충전되어 다시 데이터를 쓸 수 있어요.',
    }),
  },
  corrected: {
    FAMILY_QUOTA_EXCEEDED: (d) => ({
      title: '데이터 다시 사용 가능',
      message: `잘못 집계된 사용량 ${amount(d.bytes)}가 돌려져 다시 데이터를 쓸 수 있어요.`,
    }),
    MONTHLY_LIMIT_EXCEEDED: (d) => ({
      title: '월 데이터 한도 해제',
      message: `잘못 집계된 사용량 ${amount(d.bytes)}가 돌려져 월 한도 안에서 다시 데이터를 쓸 수 있어요.`,
    }),
  },
};

const en: LocaleTable = {
  threshold: {
    50: fixed('Family data below 50%', "Less than 50% of your family's shared data is left."),
    30: fixed(
      'Family data below 30%',
      "Less than 30% of your family's shared data is left. Consider using less.",
    ),
    10: fixed(
      'Family data below 10%',
      "Less than 10% of your family's shared data is left. It will run out soon.",
    ),
  },
  blocked: {
    MANUAL: fixed('Data blocked', 'The plan owner has blocked your data use.'),
    APP_BLOCK: (data) => ({
      title: 'App data blocked',
      message: data.appId
        ? `Data use by ${data.appId} is blocked by the plan owner.`
        : 'Data use by this app is blocked by the plan owner.',
    }),
    TIME_BLOCK: fixed(
      'Data blocked for now',
      'Data use is blocked during a time window set by the plan owner.',
    ),
    MONTHLY_LIMIT_EXCEEDED: fixed(
      'Monthly limit reached',
      'You have reached your personal monthly data limit; data use is blocked.',
    ),
    FAMILY_QUOTA_EXCEEDED: fixed(
      'Family data used up',
      "Your family's shared data is used up; data use is blocked.",
    ),
  },
  policyChanged: {
    'LIMIT:DATA:MONTHLY': (d) => ({
      title: 'Monthly limit changed',
      message:
        d.value === 'none'
          ? 'Your monthly data limit was removed.'
          : 'The plan owner changed your monthly data limit.',
    }),
    'BLOCK:ACCESS': (d) => ({
      title: 'Data block changed',
      message:
        d.value === 'none' ? 'The plan owner lifted the data block.' : 'The plan owner blocked data use.',
    }),
    'BLOCK:TIME': (d) => ({
      title: 'Blocked hours changed',
      message:
        d.value === 'none'
          ? 'Data use is no longer blocked at set hours.'
          : `Data use is blocked during ${d.value}.`,
    }),
    'BLOCK:APP': (d) => ({
      title: 'Blocked apps changed',
      message: d.value === 'none' ? 'No app is blocked any more.' : `Apps blocked from data use: ${d.value}`,
    }),
    'ZERO_RATE:APP': (d) => ({
      title: 'Free apps changed',
      message:
        d.value === 'none'
          ? 'Every app now counts against your data.'
          : `Data used by these apps does not count: ${d.value}`,
    }),
  },
  unblocked: {
    MANUAL: () => ({ title: 'Data unblocked', message: 'The plan owner lifted the block on your data use.' }),
    MONTHLY_LIMIT_EXCEEDED: () => ({
      title: 'Monthly limit lifted',
      message: 'Your monthly data limit changed: you can use data again.',
    }),
  },
  topup: {
    applied: (d) => ({
      title: 'Data added',
      message: `${amount(d.bytes)} was added to your family's data. Left: ${amount(d.remainingBytes)}`,
    }),
    unblocked: () => ({
      title: 'Data available again',
      message: 'Your family added data: you can use data again.',
    }),
  },
  corrected: {
    FAMILY_QUOTA_EXCEEDED: (d) => ({
      title: 'Data available again',
      message: `${amount(d.bytes)} counted by mistake was given back: you can use data again.`,
    }),
    MONTHLY_LIMIT_EXCEEDED: (d) => ({
      title: 'Monthly limit lifted',
      message: `${amount(d.bytes)} counted by mistake was given back: you are under your monthly limit again.`,
    }),
  },
};

const TABLES: Readonly<Record<NotificationLocale, LocaleTable>> = { ko, en };

export function notificationText(
  rule: NotificationRule,
  data: UsageNotificationData,
  locale: NotificationLocale,
): NotificationText {
  const table = TABLES[locale];
  const text =
    rule.type === 'THRESHOLD_ALERT'
      ? table.threshold[rule.threshold](data)
      : table.blocked[rule.reason](data);
  if (!text.title || !text.message) {
    throw new InvariantError('OUTBOX_INVARIANT', `no ${locale} text for ${JSON.stringify(rule)}`);
  }
  return text;
}

/** Title and message of a notification about a policy change, or the block it started or lifted. */
export function policyNotificationText(
  type: 'POLICY_CHANGED' | 'CUSTOMER_BLOCKED' | 'CUSTOMER_UNBLOCKED',
  data: PolicyNotificationData,
  locale: NotificationLocale,
): NotificationText {
  const table = TABLES[locale];
  if (type === 'POLICY_CHANGED') return table.policyChanged[data.policyKey](data);
  if (!data.reason)
    throw new InvariantError('OUTBOX_INVARIANT', `${type} about ${data.originEventId} has no reason`);
  if (type === 'CUSTOMER_UNBLOCKED') return table.unblocked[data.reason](data);
  return table.blocked[data.reason]({
    originEventId: data.originEventId,
    eventTime: data.eventTime,
    period: data.period,
    status: data.reason,
    reason: data.reason,
    bytesUsed: 1,
  });
}

/** Title and message of a notification about a top-up or a correction, or the block it lifted. */
export function poolNotificationText(
  type: 'TOPUP_APPLIED' | 'CUSTOMER_UNBLOCKED',
  data: PoolNotificationData,
  locale: NotificationLocale,
): NotificationText {
  const table = TABLES[locale];
  if (data.correctsEventId !== undefined)
    return table.corrected[data.reason ?? 'FAMILY_QUOTA_EXCEEDED'](data);
  return type === 'TOPUP_APPLIED' ? table.topup.applied(data) : table.topup.unblocked(data);
}
