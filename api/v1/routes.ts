/** Binding a facade group's named handlers (facade.ts `FacadeHandler`) to its deps, for fastify. */
import type { FastifyReply } from "fastify";
import type { FacadeDeps, FacadeHandler, FacadeRequest } from "./facade.ts";

/** `handler` as a fastify route handler with `deps` given. */
export function bind<Params>(
  deps: FacadeDeps,
  handler: FacadeHandler<Params>,
): (request: FacadeRequest<Params>, reply: FastifyReply) => Promise<unknown> {
  return (request, reply) => handler(deps, request, reply);
}
