// What every benchmark module returns, and how run.ts prints it: one table row per figure, each next to the
// reference it was measured against in the same run, then one JSON object with every figure and raw sample.

export interface Reference {
  label: string;
  value: number;
  unit: string;
}

export interface Figure {
  /** Stable key in the JSON output, e.g. "e2e_jpeg12mp_ms". */
  id: string;
  label: string;
  value: number;
  unit: string;
  reference?: Reference;
  /** value ÷ reference.value, when the two are comparable (same unit). */
  ratio?: number;
  /** Human-readable target, e.g. "≤ 1.5× floor". */
  target?: string;
  /** Whether the target is met (only when there is a target). */
  ok?: boolean;
  note?: string;
}

export interface SectionResult {
  name: string;
  figures: Figure[];
  /** Raw samples and breakdowns, for the JSON only. */
  details: Record<string, unknown>;
  /** Surprises and caveats printed under the table. */
  notes: string[];
}

/** A benchmark area (the server now; the browser widget later). */
export interface BenchModule {
  name: string;
  run(): Promise<SectionResult>;
}

export function figure(f: Figure): Figure {
  if (f.ratio === undefined && f.reference && f.reference.unit === f.unit && f.reference.value > 0) {
    return { ...f, ratio: round(f.value / f.reference.value, 3) };
  }
  return f;
}

export function round(value: number, digits = 1): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

function show(value: number, unit: string): string {
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${unit}`;
}

function pad(text: string, width: number, right = false): string {
  const length = [...text].length;
  return right ? ' '.repeat(Math.max(0, width - length)) + text : text + ' '.repeat(Math.max(0, width - length));
}

export function formatTable(sections: SectionResult[]): string {
  const header = ['Figure', 'Value', 'Reference (same run)', 'Ref value', 'Ratio', 'Target', ''];
  const out: string[] = [];
  for (const section of sections) {
    const rows = section.figures.map((f) => [
      f.label,
      show(f.value, f.unit),
      f.reference?.label ?? '',
      f.reference ? show(f.reference.value, f.reference.unit) : '',
      f.ratio === undefined ? '' : `${f.ratio.toFixed(2)}×`,
      f.target ?? '',
      f.ok === undefined ? '' : f.ok ? 'OK' : 'MISSED',
    ]);
    const widths = header.map((h, i) => Math.max([...h].length, ...rows.map((r) => [...r[i]!].length)));
    const line = (cells: string[]) => cells.map((c, i) => pad(c, widths[i]!, i === 1 || i === 3 || i === 4)).join('  ').trimEnd();
    out.push(`== ${section.name} ==`, line(header), widths.map((w) => '-'.repeat(w)).join('  '));
    for (const row of rows) out.push(line(row));
    const noted = section.figures.filter((f) => f.note);
    if (noted.length || section.notes.length) out.push('');
    for (const f of noted) out.push(`  * ${f.label}: ${f.note}`);
    for (const note of section.notes) out.push(`  - ${note}`);
    out.push('');
  }
  return out.join('\n');
}

export function toJson(sections: SectionResult[], meta: Record<string, unknown>): Record<string, unknown> {
  const result: Record<string, unknown> = { meta };
  for (const section of sections) {
    result[section.name] = {
      figures: Object.fromEntries(section.figures.map((f) => [f.id, f])),
      // The notes are printed under the table; every number in them is in details.
      details: section.details,
    };
  }
  return result;
}

/** JSON.stringify with 2-space indentation, but any array or object that fits in `width` characters stays on one line. */
export function compactJson(value: unknown, width = 150, indent = ''): string {
  const flat = JSON.stringify(value);
  if (flat === undefined) return 'null';
  if (value === null || typeof value !== 'object' || flat.length + indent.length <= width) return flat;
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    return `[\n${value.map((item) => inner + compactJson(item, width, inner)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${compactJson(v, width, inner)}`).join(',\n')}\n${indent}}`;
}
