/**
 * The long-fork probe's judgement, on read vectors (no PostgreSQL): two reads
 * that each saw a write the other did not are a long fork; reads ordered by
 * inclusion (a prefix of one order) are not.
 */
import { describe, expect, it } from 'vitest';
import { findForks, type LongForkRead } from '../src/live/long-fork.js';

const p = (...seen: number[]): LongForkRead => ({ node: 'primary', seen });
const s = (...seen: number[]): LongForkRead => ({ node: 'standby', seen });

describe('long fork among read vectors', () => {
  it('reads ordered by inclusion are no fork, however many', () => {
    expect(findForks([p(0, 0), s(1, 0), p(1, 1), s(1, 1), p(3, 2), s(2, 1), s(3, 2)]).forks).toBe(0);
  });

  it('a primary read ahead on writer 0 and a standby read ahead on writer 1 are a fork, explained', () => {
    const r = findForks([p(5, 4), s(4, 5), p(6, 6)]);
    expect(r.forks).toBe(1);
    expect(r.example!.sentence).toBe("a primary read saw writer 0's key 5 but not writer 1's key 5; a standby read saw writer 1's key 5 but not writer 0's key 5 — long fork");
  });

  it('identical reads count once; every incomparable pair counts', () => {
    const r = findForks([p(2, 1, 0), p(2, 1, 0), s(1, 2, 0), s(1, 1, 2)]);
    expect(r.distinct).toBe(3);
    expect(r.forks).toBe(3);
  });
});
