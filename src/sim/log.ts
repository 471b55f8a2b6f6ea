/**
 * The simulator logs one line per reaction. Any pino logger fits this shape; tests pass none.
 */
export interface SimLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export const silentLogger: SimLogger = {
  info() {},
  warn() {},
  error() {},
};

/** An error as log fields: code (PvcError) and message, without a stack per line. */
export function errorFields(err: unknown): Record<string, unknown> {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return code === undefined ? { err: err.message } : { err: err.message, code };
  }
  return { err: String(err) };
}
