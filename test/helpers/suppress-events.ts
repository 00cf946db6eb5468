/**
 * A model that stays silent about chosen events: every node program sees a
 * context whose `emit` drops the events `drop` picks. Meta-tests use it to show
 * that a planted bug is still caught when the model does not announce it.
 */
import type { Model, NodeContext, NodeProgram } from '../../src/analysis.js';

export type EventFilter = (name: string, data: Record<string, unknown> | undefined) => boolean;

/** `model` with the events `drop` selects (a name, a list of names or a predicate) never recorded. */
export function withoutEvents<C>(model: Model<C>, drop: string | readonly string[] | EventFilter): Model<C> {
  const names = typeof drop === 'string' ? [drop] : drop;
  const dropped: EventFilter = typeof names === 'function' ? names : (name) => names.includes(name);
  return { ...model, program: (node, config, bug) => silenced(model.program(node, config, bug), dropped) };
}

function silenced(inner: NodeProgram, dropped: EventFilter): NodeProgram {
  // One wrapper per context: models keep the context they were started with.
  const wrapped = new WeakMap<NodeContext, NodeContext>();
  const quiet = (ctx: NodeContext): NodeContext => {
    let w = wrapped.get(ctx);
    if (!w) {
      w = { ...ctx, emit: (name, data) => (dropped(name, data) ? undefined : ctx.emit(name, data)) };
      wrapped.set(ctx, w);
    }
    return w;
  };
  return {
    start: (ctx) => inner.start(quiet(ctx)),
    onMessage: (ctx, from, msg) => inner.onMessage(quiet(ctx), from, msg),
    onTimer: (ctx, tag, payload) => inner.onTimer(quiet(ctx), tag, payload),
    onRequest: (ctx, req) => inner.onRequest(quiet(ctx), req),
    ...(inner.onStreamBreak ? { onStreamBreak: (ctx: NodeContext, peer: string) => inner.onStreamBreak!(quiet(ctx), peer) } : {}),
    view: () => inner.view(),
  };
}
