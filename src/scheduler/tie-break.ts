// Picking the best-scoring node. "first" keeps the lowest node index among equals; "random" is
// kube-scheduler's reservoir sampling over equals, driven by xorshift32 so that a seed makes it
// reproducible and the wasm module (nextRandom) draws the very same numbers.

export class XorShift32 {
  constructor(public state: number) {
    this.state = state >>> 0 || 1;
  }

  next(): number {
    let x = this.state;
    x = (x ^ (x << 13)) >>> 0;
    x = (x ^ (x >>> 17)) >>> 0;
    x = (x ^ (x << 5)) >>> 0;
    this.state = x;
    return x;
  }
}

export class BestPicker {
  index = -1;
  score = -1;
  private ties = 0;

  constructor(private readonly random?: XorShift32) {}

  consider(index: number, score: number): void {
    if (score > this.score) {
      this.index = index;
      this.score = score;
      this.ties = 1;
    } else if (this.random && score === this.score) {
      this.ties++;
      if (this.random.next() % this.ties === 0) this.index = index;
    }
  }
}
