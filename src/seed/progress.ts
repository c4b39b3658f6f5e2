/**
 * A one-line progress bar with rate and time left, redrawn on a terminal; silent when the stream is not a TTY (a log
 * file or CI), where only the final summary line is printed by the caller.
 */
export class ProgressBar {
  private readonly startMs = Date.now();
  private lastDrawMs = 0;

  constructor(private readonly stream: NodeJS.WriteStream, private readonly total: number, private readonly unit: string) {}

  get enabled(): boolean {
    return this.stream.isTTY === true;
  }

  update(done: number, resources: number, force = false): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (!force && now - this.lastDrawMs < 200) return;
    this.lastDrawMs = now;
    const seconds = Math.max(0.001, (now - this.startMs) / 1000);
    const fraction = Math.min(1, done / this.total);
    const width = 30;
    const filled = Math.round(fraction * width);
    const eta = done > 0 ? ((this.total - done) * seconds) / done : NaN;
    const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${this.total} ${this.unit}` +
      `  ${Math.round(resources / seconds)} resources/s  ETA ${formatSeconds(eta)}`;
    this.stream.write(`\r${line.padEnd((this.stream.columns ?? 100) - 1).slice(0, (this.stream.columns ?? 100) - 1)}`);
  }

  finish(): void {
    if (this.enabled) this.stream.write('\n');
  }
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '--:--';
  const total = Math.round(s);
  const m = Math.floor(total / 60);
  return `${m}:${String(total % 60).padStart(2, '0')}`;
}
