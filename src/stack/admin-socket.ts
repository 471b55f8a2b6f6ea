/**
 * Talks to a Ceph daemon's admin socket directly. `ceph --admin-daemon` is a Python CLI that costs
 * ~0.3 s of CPU per call; polling with it during start-up slows the very daemons we wait for.
 * Protocol: send a JSON command terminated by NUL; the reply is a 4-byte big-endian length, then text.
 */
import { createConnection } from "node:net";

/** Sends one command; resolves with the parsed JSON reply, or null (no socket yet, error text, timeout). */
export function adminSocketCommand(
  socketPath: string,
  prefix: string,
  timeoutMs = 2000,
): Promise<Record<string, unknown> | null> {
  return new Promise((resolve) => {
    const socket = createConnection(socketPath);
    const chunks: Buffer[] = [];
    const done = (value: Record<string, unknown> | null) => {
      socket.destroy();
      resolve(value);
    };
    socket.setTimeout(timeoutMs, () => done(null));
    socket.on("connect", () => socket.write(`${JSON.stringify({ prefix, format: "json" })}\0`));
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("end", () => done(parseAdminSocketReply(Buffer.concat(chunks))));
    socket.on("error", () => done(null));
  });
}

export function parseAdminSocketReply(reply: Buffer): Record<string, unknown> | null {
  if (reply.length < 4) return null;
  const length = reply.readUInt32BE(0);
  const body = reply.subarray(4, 4 + length).toString("utf8");
  try {
    const parsed = JSON.parse(body) as unknown;
    return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : null;
  } catch {
    return null; // "ERROR: (22) Invalid argument ..." and the like
  }
}
