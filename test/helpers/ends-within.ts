/**
 * Whether a promise settles within `ms`: what tests of a stop that must not hang ask (far below the
 * time a hang would take, so a slow machine does not matter). The timer is cleared either way.
 */
export async function endsWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const ended = await Promise.race([work.then(() => true as const), late]);
  clearTimeout(timer);
  return ended;
}
