import type { BlockReason, NotificationRule, Threshold } from './decisions';
import { InvariantError } from './errors';
import type { NotificationData } from './outbox';

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

type Render = (data: NotificationData) => NotificationText;

interface LocaleTable {
  readonly threshold: Readonly<Record<Threshold, Render>>;
  readonly blocked: Readonly<Record<BlockReason, Render>>;
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
};

const TABLES: Readonly<Record<NotificationLocale, LocaleTable>> = { ko, en };

export function notificationText(
  rule: NotificationRule,
  data: NotificationData,
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
