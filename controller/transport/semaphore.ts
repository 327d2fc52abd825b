// A counting semaphore: at most `limit` holders at once, FIFO waiters.
export class Semaphore {
  private active = 0;
  private waiters: Array<() => void> = [];
  peak = 0;
  constructor(readonly limit: number) {}

  get inUse(): number {
    return this.active;
  }

  async acquire(): Promise<() => void> {
    if (this.active >= this.limit) await new Promise<void>((r) => this.waiters.push(r));
    else this.active++;
    this.peak = Math.max(this.peak, this.active);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next)
        next(); // the slot passes to the next waiter directly
      else this.active--;
    };
  }
}
