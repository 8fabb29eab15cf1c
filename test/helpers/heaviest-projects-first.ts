import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Test projects (vitest.config.ts) from the heaviest test files to the lightest: the order in
 * which their files start. worker files run tiny-llama on CPU and take tens of seconds each;
 * browser and e2e files drive Chromium and the CLI for several seconds each; unit files take
 * well under a second. A project not listed comes last.
 */
export const PROJECT_ORDER = ['worker', 'browser', 'e2e', 'electron', 'unit'];

/**
 * Starts the test files of the heaviest projects first, so that the pool's workers stay busy to
 * the end: the long files run while short ones fill the other workers, instead of one long file
 * running alone at the end (longest-processing-time-first list scheduling). Within a project the
 * order is vitest's (BaseSequencer: failed first, then slowest first from its cache, else
 * largest file first); vitest's own order starts the projects by name, which put `worker` last.
 */
export class HeaviestProjectsFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (spec: TestSpecification): number => {
      const i = PROJECT_ORDER.indexOf(spec.project.name);
      return i < 0 ? PROJECT_ORDER.length : i;
    };
    // Array.prototype.sort is stable: vitest's order is kept within each project.
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}
