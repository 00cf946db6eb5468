/**
 * How untuned scenarios aim faults at a model's marked moments (src/scenario/arbitraries.ts):
 * - an aimed partition may strike the node that marked the moment, cutting it off
 *   from every other node (a primary isolated right after it showed a commit);
 * - mark-timed faults may strike together, all waiting for the first one's moment
 *   (correlated failures: a standby's machine crash and the primary's crash at one ack).
 * Both are drawn per scenario and shrink away; without swarm features neither changes a draw.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scenarioArb } from '../src/scenario/arbitraries.js';
import type { Fault } from '../src/sim/types.js';

const nodes = ['n1', 'n2', 'n3', 'm'];
const marks = ['flush-start', 'flush-ack', 'visible', 'commit-acked'];
const sample = (profile: 'partitions' | 'crashes', swarm = true) =>
  fc.sample(scenarioArb({ model: 'wal', nodes, marks, profile, faultKinds: profile === 'partitions' ? ['partition'] : ['crash'], swarm }), { seed: 11, numRuns: 1500 });

const isolates = (f: Fault): boolean =>
  f.kind === 'partition' && f.after !== undefined && f.from.length === 1 && f.from[0] === f.after.node && f.to.length === nodes.length - 1;
const moment = (f: Fault): string => (f.after ? `${f.after.node}/${f.after.mark}/${f.after.nth}` : 'clock');

describe('untuned draws aim faults at marked moments', () => {
  it('an aimed partition often isolates the node that marked the moment, and never only that', () => {
    const aimed = sample('partitions').flatMap((s) => s.faults).filter((f) => f.kind === 'partition' && f.after);
    expect(aimed.length).toBeGreaterThan(200);
    const isolating = aimed.filter(isolates).length;
    // Half the aimed partitions strike their node; drawn sides isolate one given node rarely (about 1 in 40).
    expect(isolating / aimed.length).toBeGreaterThan(0.35);
    expect(isolating / aimed.length).toBeLessThan(0.65);
    // The others keep their drawn sides (both shapes reach the shrinker).
    expect(aimed.some((f) => f.kind === 'partition' && !isolates(f) && f.from.length + f.to.length < nodes.length)).toBe(true);
  });

  it('mark-timed faults strike together in some scenarios, apart in others', () => {
    const multi = sample('crashes').map((s) => s.faults.filter((f) => f.after)).filter((fs) => fs.length >= 2);
    expect(multi.length).toBeGreaterThan(100);
    const together = multi.filter((fs) => new Set(fs.map(moment)).size === 1).length;
    // Drawn independently, two faults share node, mark and occurrence about 1 time in 100 (4 nodes × 4 marks × 8).
    expect(together / multi.length).toBeGreaterThan(0.35);
    expect(together / multi.length).toBeLessThan(0.75);
    // Together, each keeps its own delay and target: a correlated failure, not one fault repeated.
    const spread = multi.filter((fs) => new Set(fs.map(moment)).size === 1 && new Set(fs.map((f) => `${f.atMs}/${'node' in f ? f.node : ''}`)).size > 1);
    expect(spread.length).toBeGreaterThan(together / 2);
  });

  it('without swarm features every aimed fault keeps its own moment', () => {
    const plain = sample('crashes', false).map((s) => s.faults.filter((f) => f.after)).filter((fs) => fs.length >= 2);
    expect(plain.length).toBeGreaterThan(100);
    const together = plain.filter((fs) => new Set(fs.map(moment)).size === 1).length;
    expect(together / plain.length).toBeLessThan(0.05);
  });
});
