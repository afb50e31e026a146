import { RateLimiterMemory, type RateLimiterRes } from "rate-limiter-flexible";

export interface LoginThrottleOptions {
  /** Failed logins for one username from one IP before that pair is blocked (default 5). */
  maxFailures?: number;
  /** Window in which those failures are counted (default 15 minutes). */
  windowMs?: number;
  /** How long a username + IP pair stays blocked (default 15 minutes). */
  blockMs?: number;
  /** Failed logins from one IP, any usernames, per ipWindowMs before the IP is blocked (default 50). */
  maxPerIp?: number;
  /** Window of maxPerIp; the IP stays blocked until it ends (default 1 hour). */
  ipWindowMs?: number;
}

export type ThrottleDecision = { allowed: true } | { allowed: false; retryAfterMs: number };

const MINUTE = 60_000;

/**
 * Brute-force protection for the login form, in this process's memory: counts failures per
 * (lowercased username, IP) and per IP. Call check() before verifying a password, then
 * recordFailure() or recordSuccess(). Several server processes each count on their own.
 */
export class LoginThrottle {
  private readonly byUserIp: RateLimiterMemory;
  private readonly byIp: RateLimiterMemory;
  private readonly maxFailures: number;
  private readonly maxPerIp: number;
  private readonly blockSec: number;

  constructor(options: LoginThrottleOptions = {}) {
    const { maxFailures = 5, windowMs = 15 * MINUTE, blockMs = 15 * MINUTE, maxPerIp = 50, ipWindowMs = 60 * MINUTE } = options;
    for (const [name, v] of Object.entries({ maxFailures, windowMs, blockMs, maxPerIp, ipWindowMs })) {
      if (!Number.isFinite(v) || v <= 0) throw new RangeError(`LoginThrottle: ${name} must be a positive number (got ${v})`);
    }
    this.maxFailures = maxFailures;
    this.maxPerIp = maxPerIp;
    this.blockSec = blockMs / 1000;
    // rate-limiter-flexible counts in seconds (fractions allowed); failures are added with penalty().
    this.byUserIp = new RateLimiterMemory({ keyPrefix: "login_user_ip", points: maxFailures, duration: windowMs / 1000 });
    this.byIp = new RateLimiterMemory({ keyPrefix: "login_ip", points: maxPerIp, duration: ipWindowMs / 1000 });
  }

  /**
   * Whether a login attempt for this username from this IP may proceed now; counts nothing.
   * `ip` null = the client's address is unknown (no trusted proxy): the username alone is counted.
   */
  async check(username: string, ip: string | null): Promise<ThrottleDecision> {
    const [pair, perIp] = await Promise.all([this.byUserIp.get(pairKey(username, ip)), ip === null ? null : this.byIp.get(ip)]);
    const waits = [blockedFor(pair, this.maxFailures), blockedFor(perIp, this.maxPerIp)].filter((ms) => ms > 0);
    return waits.length === 0 ? { allowed: true } : { allowed: false, retryAfterMs: Math.max(...waits) };
  }

  /** Counts a failed login; the maxFailures-th failure of a pair blocks it for blockMs. */
  async recordFailure(username: string, ip: string | null): Promise<void> {
    const key = pairKey(username, ip);
    const [pair] = await Promise.all([this.byUserIp.penalty(key), ip === null ? null : this.byIp.penalty(ip)]);
    if (pair.consumedPoints >= this.maxFailures) await this.byUserIp.block(key, this.blockSec);
  }

  /** Forgets the failures of this username + IP pair (the per-IP count stays). */
  async recordSuccess(username: string, ip: string | null): Promise<void> {
    await this.byUserIp.delete(pairKey(username, ip));
  }
}

/** JSON keeps the pair unambiguous whatever characters the (unvalidated) name or IP holds. */
function pairKey(username: string, ip: string | null): string {
  return JSON.stringify([String(username).toLowerCase(), ip]);
}

function blockedFor(res: RateLimiterRes | null, limit: number): number {
  if (res === null || res.consumedPoints < limit) return 0;
  // msBeforeNext is -1 for a key without expiry (never set here) and ≤ 0 once it has lapsed.
  return Math.max(res.msBeforeNext, 0);
}
