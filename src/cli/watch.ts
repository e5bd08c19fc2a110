/**
 * `ralm index --watch`: re-runs an incremental sync whenever files under the paths change, debounced,
 * until Ctrl-C (SIGINT/SIGTERM), then resolves so the caller can close the collection cleanly.
 */
import { watch } from 'chokidar';
import picomatch from 'picomatch';

export async function watchPaths(paths: readonly string[], exclude: readonly string[], sync: () => Promise<void>, debounceMs = 400): Promise<void> {
  const targets = paths.filter((p) => p !== '-' && !/^https?:\/\//i.test(p));
  if (targets.length === 0) return;
  const excluded = exclude.map((glob) => picomatch(glob, { dot: true, basename: !glob.includes('/') }));
  const watcher = watch([...targets], {
    ignoreInitial: true,
    ignored: (path: string) => /(^|[/\\])(\.[^/\\.][^/\\]*|node_modules)([/\\]|$)/.test(path) || excluded.some((match) => match(path)),
    awaitWriteFinish: { stabilityThreshold: 200, pollInterval: 50 },
  });
  // said once the watcher has scanned the paths: a change made before that would count as part of the initial scan
  // (ignored), so a user (or a script) that writes a file as soon as it reads this line must find it watched
  await new Promise<void>((resolve, reject) => {
    watcher.once('ready', () => resolve());
    watcher.once('error', (error) => reject(error));
  });
  process.stderr.write(`watching ${targets.join(', ')} for changes (Ctrl-C to stop)\n`);
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> = Promise.resolve();
  let pending = false;
  const schedule = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      if (pending) return;
      pending = true;
      running = running.then(async () => {
        pending = false;
        try {
          await sync();
        } catch (error) {
          process.stderr.write(`ralm: ${(error as Error).message}\n`);
        }
      });
    }, debounceMs);
  };
  watcher.on('all', schedule);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  if (timer) clearTimeout(timer);
  await watcher.close();
  await running;
}
