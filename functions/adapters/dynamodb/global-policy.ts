import type { GlobalRecord } from '../../core/changes/family-records';
import type { Clock, GlobalLevel, GlobalPolicySource } from '../../core/ports';

/**
 * The global default policy as a function container sees it: read from the
 * ledger at most once per refresh interval, so a global change takes effect
 * everywhere within that bounded delay, without a write per member. A family
 * never goes back to an older revision than it decided with: a container
 * holding one is told to read it again (refresh).
 */
export class RefreshingGlobalPolicy implements GlobalPolicySource {
  private cached: { level: GlobalLevel; readAt: number } | null = null;
  private reading: Promise<GlobalLevel> | null = null;

  constructor(
    private readonly store: { readGlobal(): Promise<GlobalRecord> },
    private readonly refreshMs: number,
    private readonly clock: Clock,
  ) {}

  async current(): Promise<GlobalLevel> {
    if (this.cached && this.clock.now() - this.cached.readAt < this.refreshMs) return this.cached.level;
    return this.refresh();
  }

  refresh(): Promise<GlobalLevel> {
    const now = this.clock.now();
    this.reading ??= this.store
      .readGlobal()
      .then(({ policy, revision }) => {
        const level = { policy, revision };
        // A slower read that started earlier never replaces a newer revision.
        if (!this.cached || this.cached.level.revision <= revision) this.cached = { level, readAt: now };
        return this.cached.level;
      })
      .finally(() => {
        this.reading = null;
      });
    return this.reading;
  }
}
