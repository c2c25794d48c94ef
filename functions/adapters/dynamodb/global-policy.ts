import type { GlobalConfig } from '../../core/config/family-config';
import type { MemberPolicy } from '../../core/family';
import type { Clock, GlobalPolicySource } from '../../core/ports';

/**
 * The global default policy as a function container sees it: read from the
 * ledger at most once per refresh interval, so a global change takes effect
 * everywhere within that bounded delay, without a write per member.
 */
export class RefreshingGlobalPolicy implements GlobalPolicySource {
  private cached: { policy: MemberPolicy; readAt: number } | null = null;
  private reading: Promise<MemberPolicy> | null = null;

  constructor(
    private readonly store: { readGlobal(): Promise<GlobalConfig> },
    private readonly refreshMs: number,
    private readonly clock: Clock,
  ) {}

  async current(): Promise<MemberPolicy> {
    const now = this.clock.now();
    if (this.cached && now - this.cached.readAt < this.refreshMs) return this.cached.policy;
    this.reading ??= this.store
      .readGlobal()
      .then(({ policy }) => {
        this.cached = { policy, readAt: now };
        return policy;
      })
      .finally(() => {
        this.reading = null;
      });
    return this.reading;
  }
}
