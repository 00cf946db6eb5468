/**
 * The report worker: a thread of the pool that runs one (variant, profile) cell
 * or shrinks one broken cell per task. The registry comes from the module the
 * report names (functions do not cross threads), loaded once per thread.
 */
import { poolWorkerData, serveTasks } from '../src/run/pool.js';
import { answerReportTask, type RegistryModule, type ReportAnswer, type ReportRegistry, type ReportTask } from './run.js';

let registry: ReportRegistry | undefined;

serveTasks<ReportTask, ReportAnswer>(
  (task) => {
    if (!registry) throw new Error('report worker: the registry did not load');
    return answerReportTask(registry, task);
  },
  async () => {
    const { url, exportName } = poolWorkerData<RegistryModule>();
    const mod = (await import(url)) as Record<string, unknown>;
    const r = mod[exportName];
    if (typeof r !== 'object' || r === null) throw new Error(`report worker: ${url} exports no registry '${exportName}'`);
    registry = r as ReportRegistry;
  },
);
