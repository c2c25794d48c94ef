import { describe, expect, it } from 'vitest';
import { alertMarker, NO_POLICY, policySchema, readStoredPolicy } from '../../functions/core/family';

describe('policySchema', () => {
  it('defaults an empty policy to no policy', () => {
    expect(policySchema.parse({})).toEqual(NO_POLICY);
  });

  it('normalises blockedApps as events are normalised: trim, lower-case, dedupe, drop blanks', () => {
    // Arrange
    const input = {
      blockedApps: [' Com.YouTube.App ', 'com.youtube.app', '   ', 'COM.NETFLIX', '\tcom.netflix\n'],
    };

    // Act
    const policy = policySchema.parse(input);

    // Assert
    expect(policy.blockedApps).toEqual(['com.youtube.app', 'com.netflix']);
  });

  it('drops an empty-string app id like any other blank one', () => {
    expect(policySchema.parse({ blockedApps: ['', 'Com.X'] }).blockedApps).toEqual(['com.x']);
  });

  it.each([
    ['monthlyLimitBytes as text', { monthlyLimitBytes: 'lots' }],
    ['negative monthlyLimitBytes', { monthlyLimitBytes: -1 }],
    ['blockWindow hour 25', { blockWindow: { start: '2500', end: '0600' } }],
    ['blockWindow minute 60', { blockWindow: { start: '2260', end: '0600' } }],
    ['blockWindow without end', { blockWindow: { start: '2200' } }],
    ['manualBlock as text', { manualBlock: 'yes' }],
  ])('rejects %s when written', (_case, input) => {
    expect(policySchema.safeParse(input).success).toBe(false);
  });
});

describe('readStoredPolicy: one bad field never poisons the member', () => {
  it('drops invalid fields, reports them and keeps the valid ones', () => {
    // Arrange
    const stored = {
      monthlyLimitBytes: 'lots',
      manualBlock: true,
      blockWindow: { start: '2500', end: '0600' },
      blockedApps: ['Com.Instagram.Android'],
      zeroRatedApps: [' Com.Kakao.Talk'],
    };

    // Act
    const { policy, invalidFields } = readStoredPolicy(stored);

    // Assert
    expect(policy).toEqual({
      monthlyLimitBytes: null,
      manualBlock: true,
      blockWindow: null,
      blockedApps: ['com.instagram.android'],
      zeroRatedApps: ['com.kakao.talk'],
    });
    expect(invalidFields.sort()).toEqual(['blockWindow', 'monthlyLimitBytes']);
  });

  it('reads a fully valid policy without reporting anything', () => {
    const stored = {
      monthlyLimitBytes: 5_368_709_120,
      manualBlock: false,
      blockWindow: { start: '2200', end: '0600' },
      blockedApps: ['com.youtube.app'],
      zeroRatedApps: ['com.carrier.app'],
    };

    expect(readStoredPolicy(stored)).toEqual({ policy: stored, invalidFields: [] });
  });

  it('reads a policy stored before zero-rated apps existed as one without any', () => {
    const { policy, invalidFields } = readStoredPolicy({ blockedApps: ['com.x'] });

    expect(policy.zeroRatedApps).toEqual([]);
    expect(invalidFields).toEqual([]);
  });

  it('keeps the blocked apps when only another field is invalid', () => {
    const { policy, invalidFields } = readStoredPolicy({ manualBlock: 'true', blockedApps: ['COM.X'] });

    expect(policy).toEqual({ ...NO_POLICY, blockedApps: ['com.x'] });
    expect(invalidFields).toEqual(['manualBlock']);
  });

  it('does not lose valid blocked apps because one stored entry is an empty string', () => {
    const { policy, invalidFields } = readStoredPolicy({ blockedApps: ['com.x', ''] });

    expect(policy.blockedApps).toEqual(['com.x']);
    expect(invalidFields).toEqual([]);
  });

  it.each([
    ['null', null],
    ['undefined', undefined],
    ['a string', 'MANUAL'],
    ['an empty object', {}],
  ])('treats %s as no policy without reporting fields', (_case, raw) => {
    expect(readStoredPolicy(raw)).toEqual({ policy: NO_POLICY, invalidFields: [] });
  });
});

describe('alertMarker', () => {
  it.each([
    [1001, 'WARNING_50', null, '1001:WARNING_50'],
    [1001, 'TIME_BLOCK', 'com.x', '1001:TIME_BLOCK'],
    [1001, 'APP_BLOCK', 'com.youtube.app', '1001:APP_BLOCK:com.youtube.app'],
    [1001, 'APP_BLOCK', null, '1001:APP_BLOCK:'],
  ])('formats (%d, %s, %s) as %s', (customerId, status, appId, expected) => {
    expect(alertMarker(customerId, status, appId)).toBe(expected);
  });

  it('gives each blocked app its own marker, so each is notified once', () => {
    expect(alertMarker(7, 'APP_BLOCK', 'com.a')).not.toBe(alertMarker(7, 'APP_BLOCK', 'com.b'));
  });
});
