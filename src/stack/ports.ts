/**
 * Port checks before a start. Other work shares the machine (other ZooKeepers, other stacks); if our
 * port were taken, the readiness probe could talk to somebody else's server and call it ours.
 */
import { createServer } from "node:net";
import { ErrorCodes, PvcError } from "../errors.ts";

export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen({ host: "127.0.0.1", port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

export async function assertPortsFree(ports: Record<string, number>): Promise<void> {
  const busy: string[] = [];
  for (const [name, port] of Object.entries(ports)) {
    if (!(await portFree(port))) busy.push(`${name} ${port}`);
  }
  if (busy.length > 0) {
    throw new PvcError(
      ErrorCodes.STACK_START_FAILED,
      `port check failed: ${busy.join(", ")} already in use (another stack? pick other ports, e.g. --zk-port/--mon-port/--mon-v2-port)`,
      { details: { step: "port check", busy } },
    );
  }
}
