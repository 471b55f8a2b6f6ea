/**
 * Runs `fn` over `items` with at most `limit` calls in flight, in order of start; rejects with
 * the first failure (the calls already started still finish). For bounded fan-out of ZooKeeper
 * or HTTP calls where a queue (p-queue) would be more than is needed.
 */
export async function mapLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
