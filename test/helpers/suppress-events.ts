/**
 * A model that stays silent: the wrapped model runs unchanged, but the named
 * events never reach the history (its ctx.emit drops them). Meta-tests use it
 * to show that a checker judges what the system did, not what it said.
 */
import type { Model, NodeContext, NodeProgram } from '../../src/index.js';

export function suppressEvents<C>(model: Model<C>, names: readonly string[]): Model<C> {
  const drop = new Set(names);
  const quiet = (ctx: NodeContext): NodeContext => new Proxy(ctx, {
    get(target, prop) {
      if (prop === 'emit') return (name: string, data?: Record<string, unknown>) => (drop.has(name) ? undefined : target.emit(name, data));
      const v: unknown = Reflect.get(target, prop);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  return {
    ...model,
    program: (node, c, bug) => {
      const p: NodeProgram = model.program(node, c, bug);
      return {
        start: (ctx) => p.start(quiet(ctx)),
        onMessage: (ctx, from, msg) => p.onMessage(quiet(ctx), from, msg),
        onTimer: (ctx, tag, payload) => p.onTimer(quiet(ctx), tag, payload),
        onRequest: (ctx, req) => p.onRequest(quiet(ctx), req),
        ...(p.onStreamBreak ? { onStreamBreak: (ctx: NodeContext, peer: string) => p.onStreamBreak!(quiet(ctx), peer) } : {}),
        view: () => p.view(),
      };
    },
  };
}
