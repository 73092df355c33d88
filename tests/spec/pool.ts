/**
 * Bounded concurrency with ordered results.
 *
 * @module
 */

/**
 * Calls `fn` on every item with at most `limit` calls in flight, starting
 * them in item order, and returns one promise per item in item order. So a
 * caller can await the results in order while later items already run.
 *
 * Rejections are marked handled here; they reach whoever awaits the promise.
 */
export function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R>[] {
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RangeError(`Cannot map with limit ${limit}: expected a positive integer`);
  }
  let active = 0;
  const waiting: (() => void)[] = [];
  async function acquire(): Promise<void> {
    if (active < limit) {
      active++;
      return;
    }
    // The releasing call hands its slot over, so active stays the same.
    await new Promise<void>((resolve) => waiting.push(resolve));
  }
  function release(): void {
    const next = waiting.shift();
    if (next) next();
    else active--;
  }
  return items.map(async (item, index) => {
    await acquire();
    try {
      return await fn(item, index);
    } finally {
      release();
    }
  }).map((promise) => {
    promise.catch(() => {});
    return promise;
  });
}
