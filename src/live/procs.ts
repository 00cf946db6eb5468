/**
 * A PostgreSQL server's processes on Linux, read from /proc. Every backend,
 * WAL sender and receiver calls setsid(), so a server is not one process
 * group: it is the postmaster and the tree of its children. A crash stops
 * the postmaster (so it forks nothing more), then SIGKILLs the whole tree;
 * a pause SIGSTOPs the tree. Zombies (dead, not yet reaped by whoever
 * inherited them) count as gone.
 */
import { readdirSync, readFileSync } from 'node:fs';

interface ProcInfo {
  pid: number;
  ppid: number;
  state: string;
}

function procs(): ProcInfo[] {
  const out: ProcInfo[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // pid (comm) state ppid …; comm may hold spaces and parentheses.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.push({ pid: Number(name), ppid: Number(rest[1]), state: rest[0] ?? '?' });
  }
  return out;
}

const running = (p: ProcInfo) => p.state !== 'Z' && p.state !== 'X';

/** True when `pid` exists and is not a zombie. */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** `root` and every live descendant of it. */
export function treeOf(root: number): number[] {
  const all = procs().filter(running);
  const kids = new Map<number, number[]>();
  for (const p of all) kids.set(p.ppid, [...(kids.get(p.ppid) ?? []), p.pid]);
  const out: number[] = [];
  const todo = all.some((p) => p.pid === root) ? [root] : [];
  while (todo.length > 0) {
    const pid = todo.pop()!;
    out.push(pid);
    todo.push(...(kids.get(pid) ?? []));
  }
  return out;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** Send a signal to a server's whole tree (the postmaster first, so it forks nothing meanwhile). */
export function signalTree(root: number, sig: NodeJS.Signals): number[] {
  signal(root, sig === 'SIGCONT' ? 'SIGCONT' : 'SIGSTOP');
  const tree = treeOf(root);
  for (const pid of tree) signal(pid, sig);
  return tree;
}

/** Start a kill -9 of the tree; returns the pids to wait for. */
function startKill(root: number): number[] {
  signal(root, 'SIGSTOP');
  const tree = treeOf(root);
  for (const pid of tree) signal(pid, 'SIGKILL');
  signal(root, 'SIGKILL');
  return tree.length > 0 ? tree : [root];
}

/** kill -9 a server's tree and wait (synchronously, bounded) until none of it runs. */
export function killTreeSync(root: number, boundMs = 5000): boolean {
  const pids = startKill(root);
  const until = Date.now() + boundMs;
  while (pids.some(alive)) {
    if (Date.now() > until) return false;
    for (const p of pids) signal(p, 'SIGKILL');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
  }
  return true;
}

/** kill -9 a server's tree and wait until none of it runs. */
export async function killTree(root: number, boundMs = 10_000): Promise<boolean> {
  const pids = startKill(root);
  const until = Date.now() + boundMs;
  while (pids.some(alive)) {
    if (Date.now() > until) return false;
    for (const p of pids) signal(p, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 5));
  }
  return true;
}
