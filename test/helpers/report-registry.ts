/** A report registry in a module of its own, so report workers can import it: the toy model and the CDC model. */
import { BUILTIN_MODELS } from '../../models/index.js';
import type { ReportRegistry } from '../../reports/run.js';
import { toyEntry } from './report-model.js';

export const registry: ReportRegistry = { toy: toyEntry, cdc: BUILTIN_MODELS.cdc! };
