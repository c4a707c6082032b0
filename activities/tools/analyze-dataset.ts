import type { AnalyzeDatasetActivities } from '../../workflows/tools/analyze-dataset';
import type { ToolActivityDeps } from '../activity-deps';
import { createAnalyzeDataset } from '../dataset/analyze-dataset';

/** The activities of `analyze_dataset` (see activities/create-activities.ts). */
export const createToolActivities = ((deps) => ({
  analyzeDataset: createAnalyzeDataset({
    datasetRoots: deps.datasetRoots,
    urlSources: deps.urlSources,
    sourceStallTimeoutMs: deps.sourceStallTimeoutMs,
    limits: deps.dataLimits,
    observer: deps.observer,
  }),
})) satisfies (deps: ToolActivityDeps) => AnalyzeDatasetActivities;
