import fs from 'node:fs';
import path from 'node:path';

/**
 * Readers for the deployment files (docker/, .dockerignore, docs/deployment.md), for tests that check their
 * invariants as text. No YAML parser is a dependency, so compose files are read by indentation: enough for the
 * block-style YAML these files are written in, and a check that they stay so.
 */
export const REPO = path.resolve(__dirname, '..', '..', '..');

export function repoFile(relative: string): string {
  return fs.readFileSync(path.join(REPO, relative), 'utf8');
}

export function repoPathExists(relative: string): boolean {
  return fs.existsSync(path.join(REPO, relative));
}

export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

export interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

/** A Dockerfile's build stages, each with its instructions (continuation lines joined, comments dropped). */
export function dockerStages(text: string): { globalArgs: Instruction[]; stages: Stage[] } {
  const globalArgs: Instruction[] = [];
  const stages: Stage[] = [];
  for (const ins of dockerInstructions(text)) {
    if (ins.keyword === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      stages.push({ from: m?.[1] ?? ins.args, name: m?.[2], instructions: [] });
    } else if (stages.length === 0) {
      globalArgs.push(ins);
    } else {
      stages[stages.length - 1].instructions.push(ins);
    }
  }
  return { globalArgs, stages };
}

function dockerInstructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending: { text: string; line: number } | undefined;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line.startsWith('#') || (!pending && line === '')) return;
    const continued = line.endsWith('\\');
    const body = continued ? line.slice(0, -1).trim() : line;
    pending = pending ? { text: `${pending.text} ${body}`, line: pending.line } : { text: body, line: i + 1 };
    if (continued) return;
    const m = /^(\S+)\s*(.*)$/.exec(pending.text);
    if (m) out.push({ keyword: m[1].toUpperCase(), args: m[2], line: pending.line });
    pending = undefined;
  });
  return out;
}

/**
 * Whether a path of the build context is left out by .dockerignore patterns: root-anchored, `*` within one folder,
 * a double star across folders, the last matching pattern deciding (`!` lets a path back in).
 */
export function dockerIgnored(relative: string, patterns: string[]): boolean {
  let ignored = false;
  for (const pattern of patterns) {
    const negated = pattern.startsWith('!');
    const re = globToRegExp(negated ? pattern.slice(1) : pattern);
    if (re.test(relative)) ignored = !negated;
  }
  return ignored;
}

export function dockerignorePatterns(text: string): string[] {
  return text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')).map((l) => l.replace(/^\/+|\/+$/g, ''));
}

function globToRegExp(glob: string): RegExp {
  const body = glob.split(/(\*\*\/|\*\*|\*|\?)/).map((part) => {
    if (part === '**/') return '(.*/)?';
    if (part === '**') return '.*';
    if (part === '*') return '[^/]*';
    if (part === '?') return '[^/]';
    return part.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }).join('');
  // A pattern naming a folder leaves out everything below it.
  return new RegExp(`^${body}(/.*)?$`);
}

/** The text of each top-level key's block of a block-style YAML file (`services`, `volumes`, ...). */
export function topLevelBlocks(yaml: string): Map<string, string> {
  return blocksAt(yaml.split('\n'), 0);
}

/** The text of each key's block one level below (`services` → each service), from a block's text. */
export function childBlocks(block: string): Map<string, string> {
  const lines = block.split('\n').slice(1);
  const indent = Math.min(...lines.filter((l) => l.trim() && !l.trim().startsWith('#')).map((l) => l.length - l.trimStart().length));
  return blocksAt(lines, indent);
}

function blocksAt(lines: string[], indent: number): Map<string, string> {
  const blocks = new Map<string, string>();
  let current: string | undefined;
  for (const line of lines) {
    const own = line.length - line.trimStart().length;
    const key = own === indent ? /^\s*([A-Za-z0-9_.-]+):(\s|$)/.exec(line)?.[1] : undefined;
    if (key) {
      current = key;
      blocks.set(key, line);
    } else if (current && (own > indent || !line.trim() || line.trim().startsWith('#'))) {
      blocks.set(current, `${blocks.get(current)}\n${line}`);
    } else if (own <= indent && line.trim()) {
      current = undefined;
    }
  }
  return blocks;
}

/** The names of the variables a compose file interpolates: `${VAR}`, `${VAR:-default}`, `${VAR:?message}`. */
export function interpolatedVariables(text: string): Set<string> {
  const names = new Set<string>();
  for (const m of text.replace(/\$\$/g, '').matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)) names.add(m[1]);
  return names;
}

/** `NAME=value` pairs of an env file, in order. */
export function envFileEntries(text: string): Array<{ name: string; value: string }> {
  return text.split('\n').map((l) => /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(l.trim())).filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ name: m[1], value: m[2] }));
}

/** The variable names src/config.ts reads (`get('NAME')`): the server's whole configuration surface. */
export function configVariables(configSource: string): string[] {
  return [...new Set([...configSource.matchAll(/\bget\('([A-Z][A-Z0-9_]*)'\)/g)].map((m) => m[1]))];
}
