/**
 * Delete protection: an object another kind's objects refer to by name (the templates and the
 * script a ProvisionerProfile names) is not deleted while one of them still does. PVC v0.6
 * deleted the template and then crashed reading the profile; we refuse with IN_USE, naming the
 * users. The check reads the referrers just before the delete; a profile created in that instant
 * is not seen (provisioning then fails naming the missing template).
 */
import { ErrorCodes, PvcError } from "../errors.ts";
import { getKind } from "./kinds.ts";
import type { Resource } from "./types.ts";

/** Which kind's objects may refer to a kind so as to keep it from being deleted. */
const REFERRERS: Readonly<Record<string, string>> = {
  SystemTemplate: "ProvisionerProfile",
  NetworkTemplate: "ProvisionerProfile",
  StorageTemplate: "ProvisionerProfile",
  UserdataTemplate: "ProvisionerProfile",
  ProvisionerScript: "ProvisionerProfile",
};

/** The store's validateDelete hook; `list` reads every object of a kind. */
export function refuseDeleteInUse(
  list: (kind: string) => Promise<readonly Resource[]>,
): (current: Resource) => Promise<void> {
  return async (current) => {
    const referrer = REFERRERS[current.kind];
    if (referrer === undefined) return;
    const info = getKind(referrer);
    const name = current.metadata.name;
    const users = (await list(referrer))
      .filter((r) =>
        info
          .references({ kind: r.kind, spec: r.spec })
          .some((ref) => ref.kind === current.kind && ref.name === name),
      )
      .map((r) => r.metadata.name);
    if (users.length === 0) return;
    const shown = users.slice(0, 10).join(", ") + (users.length > 10 ? ` and ${users.length - 10} more` : "");
    throw new PvcError(
      ErrorCodes.IN_USE,
      `${current.kind} ${JSON.stringify(name)} is used by ${referrer} ${shown}; change or delete ${users.length > 1 ? "those profiles" : "that profile"} first`,
      { details: { kind: current.kind, name, usedBy: users.map((u) => ({ kind: referrer, name: u })) } },
    );
  };
}
