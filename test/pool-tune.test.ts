/**
 * The pool lowers V8's inlining budget for the process unless the user set it: a
 * budget given on node's command line or in NODE_OPTIONS is the user's and stays.
 */
import { describe, expect, it } from 'vitest';
import { userSetInlineBudget } from '../src/run/pool.js';

describe('the compiler budget the pool sets', () => {
  it('sees a budget the user set, in either spelling, on the command line or in NODE_OPTIONS', () => {
    expect(userSetInlineBudget(['--max-inlined-bytecode-size-cumulative=500'], undefined)).toBe(true);
    expect(userSetInlineBudget(['--max_inlined_bytecode_size_cumulative', '500'], undefined)).toBe(true);
    expect(userSetInlineBudget([], '--enable-source-maps --max-inlined-bytecode-size-cumulative=920')).toBe(true);
  });

  it('does not mistake other flags for it', () => {
    expect(userSetInlineBudget([], undefined)).toBe(false);
    expect(userSetInlineBudget(['--max-inlined-bytecode-size=500', '--import', 'tsx'], '--max-old-space-size=4096')).toBe(false);
    expect(userSetInlineBudget(['--max-inlined-bytecode-size-cumulative-x=1'], '')).toBe(false);
  });
});
