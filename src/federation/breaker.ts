/**
 * @module A circuit breaker per upstream. A failure (timeout, network error, 5xx) opens it: from
 * then on searches skip that upstream at once instead of waiting for its timeout again, while a
 * probe in the background asks the upstream whether it is back (every `probeEveryMs`); the first
 * probe that succeeds closes the circuit. So a dead upstream costs one request its timeout, once.
 */
import type { Logger } from 'pino';

export type CircuitState = 'closed' | 'open';

export class CircuitBreaker {
  private state: CircuitState = 'closed';
  private openedAt: Date | undefined;
  private timer: NodeJS.Timeout | undefined;
  private probing = false;

  constructor(
    private readonly name: string,
    private readonly probe: () => Promise<void>,
    private readonly opts: { probeEveryMs: number; log: Logger; clock: () => Date },
  ) {}

  get status(): { state: CircuitState; openedAt?: Date } {
    return this.openedAt ? { state: this.state, openedAt: this.openedAt } : { state: this.state };
  }

  /** Whether a request may go to the upstream now. */
  allows(): boolean {
    return this.state === 'closed';
  }

  succeeded(): void {
    if (this.state === 'closed') return;
    this.close();
  }

  failed(why: string): void {
    if (this.state === 'open') return;
    this.state = 'open';
    this.openedAt = this.opts.clock();
    this.opts.log.warn({ upstream: this.name, why }, 'upstream circuit opened: skipped until a probe succeeds');
    this.timer = setInterval(() => void this.runProbe(), this.opts.probeEveryMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private close(): void {
    this.stop();
    this.state = 'closed';
    this.openedAt = undefined;
    this.opts.log.info({ upstream: this.name }, 'upstream circuit closed: a probe succeeded');
  }

  private async runProbe(): Promise<void> {
    if (this.probing || this.state === 'closed') return;
    this.probing = true;
    try {
      await this.probe();
      this.close();
    } catch {
      // still down: the next tick probes again
    } finally {
      this.probing = false;
    }
  }
}

/** The breakers of one process, one per upstream node id. */
export class CircuitBreakers {
  private readonly byNode = new Map<string, CircuitBreaker>();

  constructor(private readonly opts: { probeEveryMs: number; log: Logger; clock: () => Date }) {}

  for(nodeId: string, probe: () => Promise<void>): CircuitBreaker {
    let breaker = this.byNode.get(nodeId);
    if (!breaker) {
      breaker = new CircuitBreaker(nodeId, probe, this.opts);
      this.byNode.set(nodeId, breaker);
    }
    return breaker;
  }

  stateOf(nodeId: string): CircuitState {
    return this.byNode.get(nodeId)?.status.state ?? 'closed';
  }

  forget(nodeId: string): void {
    this.byNode.get(nodeId)?.stop();
    this.byNode.delete(nodeId);
  }

  stopAll(): void {
    for (const b of this.byNode.values()) b.stop();
  }
}
