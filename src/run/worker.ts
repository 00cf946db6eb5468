/**
 * The run worker: a thread of the pool that judges (or shrinks) one run per task.
 * Models are loaded once per thread, by the ref the user typed (built-in name or
 * module path; threads share the process's working directory).
 */
import { loadModel, type LoadedModel } from '../cli/load-model.js';
import { judgeRun, shrinkRun, type RunFinding, type RunTask } from './explore.js';
import { poolWorkerData, serveTasks } from './pool.js';

/** What the pool hands every run worker. */
export interface RunWorkerData {
  /** Models to load before the first task, so loading is not timed as a run. */
  refs: string[];
}

const entries = new Map<string, LoadedModel>();

async function entryFor(ref: string): Promise<LoadedModel> {
  let e = entries.get(ref);
  if (!e) entries.set(ref, (e = await loadModel(ref)));
  return e;
}

serveTasks<RunTask, RunFinding>(
  async (task) => {
    const entry = await entryFor(task.target.modelRef);
    return task.shrink ? shrinkRun(entry, task) : judgeRun(entry, task);
  },
  async () => {
    for (const ref of poolWorkerData<RunWorkerData | null>()?.refs ?? []) await entryFor(ref);
  },
);
