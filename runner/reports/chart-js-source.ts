import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

let cached: string | undefined;

/**
 * The source of Chart.js's UMD build (`chart.js/dist/chart.umd.js`, defines the global `Chart`),
 * ready to be inlined in a `<script>` element: any `</script` in it is written `<\/script`.
 * Read once, then cached. The package's `exports` map does not list the UMD file, so it is
 * found beside the resolved CommonJS entry.
 *
 * @throws Error naming the expected path when the file is missing (chart.js not installed)
 */
export function chartJsSource(): string {
  if (cached === undefined) {
    const require = createRequire(import.meta.url);
    let file: string;
    try {
      file = join(dirname(require.resolve('chart.js')), 'chart.umd.js');
    } catch (cause) {
      throw new Error('chart.js is not installed: the HTML report inlines chart.js/dist/chart.umd.js', {
        cause,
      });
    }
    if (!existsSync(file))
      throw new Error(`Chart.js UMD build not found at ${file}: the HTML report inlines it`);
    cached = readFileSync(file, 'utf8').replace(/<\/script/gi, '<\\/script');
  }
  return cached;
}
