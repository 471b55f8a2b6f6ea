/**
 * A count with its noun in the right number, for messages people read: `plural(1, "object")` is
 * "1 object", `plural(3, "object")` "3 objects"; irregular nouns give their plural
 * (`plural(n, "key", "keys")` is the default rule spelled out, `plural(n, "entry", "entries")`).
 */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}
