/**
 * models/wal depends one way: state.ts holds the node's record, visible.ts what
 * both roles do to the visible data, primary.ts and standby.ts the roles, node.ts
 * ties them together. No module imports one that (directly or not) imports it —
 * type-only imports included, since they tie the files together just the same.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const DIR = join(import.meta.dirname, '..', 'models', 'wal');

/** Sibling modules each file imports or re-exports from (`./x.js` → `x`). */
function importGraph(dir: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
    const src = readFileSync(join(dir, f), 'utf8');
    const deps = [...src.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+'\.\/([\w-]+)\.js'/gms)].map((m) => m[1]!);
    graph.set(f.replace(/\.ts$/, ''), [...new Set(deps)]);
  }
  return graph;
}

/** One import cycle as a path a → … → a, or undefined. */
function findCycle(graph: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (n: string): string[] | undefined => {
    if (state.get(n) === 'done') return undefined;
    if (state.get(n) === 'open') return [...path.slice(path.indexOf(n)), n];
    state.set(n, 'open');
    path.push(n);
    for (const d of graph.get(n) ?? []) {
      const c = visit(d);
      if (c) return c;
    }
    path.pop();
    state.set(n, 'done');
    return undefined;
  };
  for (const n of [...graph.keys()].sort()) {
    const c = visit(n);
    if (c) return c;
  }
  return undefined;
}

/** Every module `from` reaches through imports. */
function reach(graph: Map<string, string[]>, from: string): Set<string> {
  const seen = new Set<string>();
  const todo = [...(graph.get(from) ?? [])];
  while (todo.length) {
    const n = todo.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    todo.push(...(graph.get(n) ?? []));
  }
  return seen;
}

describe('models/wal imports', () => {
  const graph = importGraph(DIR);

  it('reads the imports it checks', () => {
    // The parser sees the real edges (a parser that saw none would pass vacuously).
    expect(graph.get('node')).toEqual(expect.arrayContaining(['config', 'log', 'primary', 'standby', 'state', 'visible']));
    expect(graph.get('primary')).toEqual(expect.arrayContaining(['state', 'visible', 'log']));
    expect(graph.get('state')).toEqual(expect.arrayContaining(['config', 'log']));
  });

  it('finds a cycle when there is one', () => {
    const g = new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]]);
    expect(findCycle(g)).toEqual(['a', 'b', 'c', 'a']);
    expect(findCycle(new Map([['a', ['b']], ['b', []]]))).toBeUndefined();
  });

  it('has no import cycle', () => {
    expect(findCycle(graph)).toBeUndefined();
  });

  it('layers state ← visible ← primary, standby ← node', () => {
    expect([...reach(graph, 'state')].filter((m) => ['visible', 'primary', 'standby', 'node'].includes(m))).toEqual([]);
    expect([...reach(graph, 'visible')].filter((m) => ['primary', 'standby', 'node'].includes(m))).toEqual([]);
    // The two roles do not know each other: node.ts sequences what spans both (promotion, demotion).
    expect(reach(graph, 'primary').has('standby')).toBe(false);
    expect(reach(graph, 'standby').has('primary')).toBe(false);
    expect(reach(graph, 'primary').has('node')).toBe(false);
    expect(reach(graph, 'standby').has('node')).toBe(false);
  });
});
