/**
 * Prometheus metrics, per app instance (no global registry, so tests can build many apps):
 * request counts and latency histograms by interaction and status, and store call timings by method.
 */
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

class Histogram {
  readonly counts = new Array<number>(BUCKETS.length).fill(0);
  sum = 0;
  count = 0;

  observe(seconds: number): void {
    this.sum += seconds;
    this.count++;
    for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]) this.counts[i]++;
  }
}

export class Metrics {
  private readonly requests = new Map<string, number>();
  private readonly latency = new Map<string, Histogram>();
  private readonly store = new Map<string, Histogram>();

  recordRequest(interaction: string, status: number, seconds: number): void {
    const key = `interaction="${interaction}",status="${status}"`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    histogram(this.latency, `interaction="${interaction}"`).observe(seconds);
  }

  recordStore(method: string, seconds: number): void {
    histogram(this.store, `method="${method}"`).observe(seconds);
  }

  render(): string {
    const lines: string[] = [
      '# HELP fhir_requests_total FHIR requests by interaction and status.',
      '# TYPE fhir_requests_total counter',
      ...[...this.requests].map(([labels, n]) => `fhir_requests_total{${labels}} ${n}`),
      ...renderHistogram('fhir_request_duration_seconds', 'FHIR request latency by interaction.', this.latency),
      ...renderHistogram('fhir_store_duration_seconds', 'Store call latency by method.', this.store),
      '# HELP process_resident_memory_bytes Resident memory size in bytes.',
      '# TYPE process_resident_memory_bytes gauge',
      `process_resident_memory_bytes ${process.memoryUsage.rss()}`,
    ];
    return `${lines.join('\n')}\n`;
  }
}

function histogram(map: Map<string, Histogram>, labels: string): Histogram {
  let h = map.get(labels);
  if (!h) map.set(labels, (h = new Histogram()));
  return h;
}

function renderHistogram(name: string, help: string, map: Map<string, Histogram>): string[] {
  const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} histogram`];
  for (const [labels, h] of map) {
    BUCKETS.forEach((b, i) => lines.push(`${name}_bucket{${labels},le="${b}"} ${h.counts[i]}`));
    lines.push(`${name}_bucket{${labels},le="+Inf"} ${h.count}`, `${name}_sum{${labels}} ${h.sum}`, `${name}_count{${labels}} ${h.count}`);
  }
  return lines;
}
