/**
 * GET /ui/live/<plural>/<name>: one resource against what ZooKeeper and Ceph hold, for the status
 * page's detail (shown next to its YAML). The comparison itself is src/pvc/live-view.ts (the
 * controllers' own builders against PvcReader and `rbd info`); here each is turned into the hunks
 * of a unified diff, `-` as the controller would write it, `+` as it is now. Nothing differs:
 * `inSync`. Read-only, behind the same authentication as the rest of /ui.
 */
import { structuredPatch } from "diff";
import type { FastifyRequest } from "fastify";
import type { AnyObject, LiveView } from "../../src/pvc/live-view.ts";
import type { Resource } from "../../src/resources/types.ts";
import type { RouteDoc } from "../openapi/route-doc.ts";

export interface UiLiveSources {
  /** The object as stored (NOT_FOUND when it is not). */
  get(kindOrPlural: string, name: string): Promise<Resource>;
  view(obj: AnyObject): Promise<LiveView>;
}

export interface LiveHunk {
  /** `@@ -a,b +c,d @@` */
  header: string;
  /** Each prefixed: ` ` the same, `-` as the controller would write it, `+` as it is now. */
  lines: string[];
}

export interface LiveAnswer {
  kind: string;
  name: string;
  resourceVersion?: string;
  /** Whether everything compared is as the spec says; null when nothing is compared. */
  inSync: boolean | null;
  note?: string;
  comparisons: Array<{ title: string; note?: string; inSync: boolean; hunks: LiveHunk[] }>;
}

/** Lines of context around a difference: a network's ~17 keys show whole, a VM's XML around the change. */
const CONTEXT = 3;

export function diffHunks(desired: string, live: string): LiveHunk[] {
  return structuredPatch("spec", "live", desired, live, undefined, undefined, { context: CONTEXT }).hunks.map(
    (h) => ({
      header: `@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`,
      lines: h.lines,
    }),
  );
}

export async function liveAnswer(request: FastifyRequest, sources: UiLiveSources): Promise<LiveAnswer> {
  const { plural, name } = request.params as { plural: string; name: string };
  const obj = await sources.get(plural, name);
  const view = await sources.view(obj);
  const comparisons = view.comparisons.map((c) => {
    const hunks = diffHunks(c.desired, c.live);
    return { title: c.title, note: c.note, inSync: hunks.length === 0, hunks };
  });
  return {
    kind: obj.kind,
    name: obj.metadata.name,
    resourceVersion: obj.metadata.resourceVersion,
    inSync: comparisons.length === 0 ? null : comparisons.every((c) => c.inSync),
    note: view.note,
    comparisons,
  };
}

const hunk = {
  type: "object",
  required: ["header", "lines"],
  properties: { header: { type: "string" }, lines: { type: "array", items: { type: "string" } } },
};

export const LIVE_DOC: RouteDoc = {
  summary:
    "One resource against what ZooKeeper and Ceph hold: a unified diff per comparison (- as the controller would write it, + as it is now)",
  tags: ["status page"],
  params: {
    type: "object",
    required: ["plural", "name"],
    properties: {
      plural: { type: "string", description: "The kind's plural (networks, virtualmachines, cephvolumes…)" },
      name: { type: "string" },
    },
  },
  response: {
    200: {
      description: "The comparisons; inSync null when the kind is not compared",
      content: {
        "application/json": {
          schema: {
            type: "object",
            required: ["kind", "name", "inSync", "comparisons"],
            properties: {
              kind: { type: "string" },
              name: { type: "string" },
              resourceVersion: { type: "string" },
              inSync: { type: ["boolean", "null"] },
              note: { type: "string" },
              comparisons: {
                type: "array",
                items: {
                  type: "object",
                  required: ["title", "inSync", "hunks"],
                  properties: {
                    title: { type: "string" },
                    note: { type: "string" },
                    inSync: { type: "boolean" },
                    hunks: { type: "array", items: hunk },
                  },
                },
              },
            },
          },
        },
      },
    },
    404: { description: "No such kind or object" },
  },
};
