import fs from 'node:fs';
import path from 'node:path';
import type { Bundle, FhirResource } from 'fhir/r4';

/**
 * Writes the generated stream to a directory: one `<Type>.ndjson` file per resource type (the bulk data format,
 * https://hl7.org/fhir/uv/bulkdata/), or `bundles.ndjson` with one transaction Bundle per group. Lines are
 * buffered per file and written synchronously in order, so the bytes depend only on the stream.
 */

const FLUSH_BYTES = 1 << 20;

export type OutputFormat = 'ndjson' | 'bundles';

export class NdjsonWriter {
  private readonly files = new Map<string, { fd: number; buffer: string[]; bytes: number }>();
  readonly written = new Map<string, number>();

  constructor(private readonly dir: string, private readonly format: OutputFormat) {
    fs.mkdirSync(dir, { recursive: true });
  }

  /** Writes one group (the directory, or one patient with their record). */
  writeGroup(resources: FhirResource[]): void {
    if (this.format === 'bundles') {
      this.append('bundles', JSON.stringify(transactionBundle(resources)));
      this.written.set('Bundle', (this.written.get('Bundle') ?? 0) + 1);
      return;
    }
    for (const r of resources) {
      this.append(r.resourceType, JSON.stringify(r));
      this.written.set(r.resourceType, (this.written.get(r.resourceType) ?? 0) + 1);
    }
  }

  close(): void {
    for (const file of this.files.values()) {
      this.flush(file);
      fs.closeSync(file.fd);
    }
    this.files.clear();
  }

  private append(name: string, line: string): void {
    let file = this.files.get(name);
    if (!file) {
      file = { fd: fs.openSync(path.join(this.dir, `${name}.ndjson`), 'w'), buffer: [], bytes: 0 };
      this.files.set(name, file);
    }
    file.buffer.push(line);
    file.bytes += line.length + 1;
    if (file.bytes >= FLUSH_BYTES) this.flush(file);
  }

  private flush(file: { fd: number; buffer: string[]; bytes: number }): void {
    if (file.buffer.length === 0) return;
    fs.writeSync(file.fd, `${file.buffer.join('\n')}\n`);
    file.buffer = [];
    file.bytes = 0;
  }
}

/** PUT entries at the resources' own ids: loading a bundle twice updates instead of duplicating. */
export function transactionBundle(resources: FhirResource[]): Bundle {
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: resources.map((resource) => ({
      resource,
      request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` },
    })),
  };
}
