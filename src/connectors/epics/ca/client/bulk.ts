/**
 * Runs `task` over `items` with at most `limit` in flight, keeping results in input order. Once
 * `signal` is aborted no new task starts (running ones finish) and the rest get `whenSkipped`.
 */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
  options: { signal?: AbortSignal; whenSkipped?: (item: T, index: number) => R; onSettled?: (done: number) => void } = {},
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      const item = items[index]!;
      if (options.signal?.aborted && options.whenSkipped) {
        results[index] = options.whenSkipped(item, index);
      } else {
        results[index] = await task(item, index);
      }
      options.onSettled?.(++done);
    }
  };
  const workers = Math.max(1, Math.min(limit, items.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return results;
}
