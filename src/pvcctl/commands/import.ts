/**
 * `pvcctl import [--out DIR]`: manifests of an existing PVC cluster, read from its ZooKeeper
 * (src/pvcctl/import.ts). Without --out the manifests go to stdout as one multi-document stream;
 * warnings (anything an apply would change rather than adopt) go to stderr.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Command } from "commander";
import { plural } from "../../plural.ts";
import { PvcKeys } from "../../pvc/keys.ts";
import { toYaml } from "../format.ts";
import type { ImportResult } from "../import.ts";

export function registerImportCommand(program: Command): void {
  program
    .command("import")
    .description(
      "write manifests that adopt an existing PVC cluster's networks, Ceph objects, VMs and nodes (read from its ZooKeeper)",
    )
    .option(
      "--zk <hosts>",
      "ZooKeeper of the cluster, host:port[,host:port] (env PVC_ZK_CONNECT)",
      process.env.PVC_ZK_CONNECT ?? "127.0.0.1:2181",
    )
    .option("--pvc-root <path>", 'where PVC\'s keys hang off ("" for the ZooKeeper root, as PVC itself)', "")
    .option("--out <dir>", "write networks.yaml, ceph.yaml, vms.yaml and nodes.yaml there (default: stdout)")
    .option("--no-ceph", "no Ceph pools, volumes or snapshots")
    .option(
      "--ceph-conf <file>",
      "the cluster's ceph.conf, to read what PVC's keys do not hold (pool replication) from Ceph (env CEPH_CONF)",
      process.env.CEPH_CONF,
    )
    .action(async (opts: { zk: string; pvcRoot: string; out?: string; ceph: boolean; cephConf?: string }) => {
      // Loaded when used: the clients and the importer are most of what `pvcctl` would load at start.
      const [{ ZkClient }, { CephClient }, { importCluster }] = await Promise.all([
        import("../../zk/client.ts"),
        import("../../ceph/client.ts"),
        import("../import.ts"),
      ]);
      const pvc = new PvcKeys(opts.pvcRoot);
      const zk = await ZkClient.connect({ connectString: opts.zk, connectTimeoutMs: 10_000 });
      const cephClient = opts.ceph && opts.cephConf ? new CephClient({ conf: opts.cephConf }) : undefined;
      let result: ImportResult;
      try {
        result = await importCluster(zk, pvc, { ceph: opts.ceph, cephClient });
      } finally {
        zk.close();
      }
      const header = `# Imported by pvcctl import from ZooKeeper ${opts.zk} (PVC root ${pvc.rootPath()}) at ${new Date().toISOString()}.\n# Applying it adopts these objects as they are; see the warnings printed with the import.\n`;
      const byFile = new Map<string, string[]>();
      for (const o of result.objects) {
        const comments = o.warnings.map((w) => `# NOTE: ${w}\n`).join("");
        byFile.set(o.file, [...(byFile.get(o.file) ?? []), `${comments}${toYaml(o.manifest)}`]);
        for (const w of o.warnings)
          process.stderr.write(`${o.manifest.kind}/${o.manifest.metadata.name}: ${w}\n`);
      }
      for (const n of result.notes) process.stderr.write(`note: ${n}\n`);
      if (opts.out) {
        await mkdir(opts.out, { recursive: true });
        for (const [file, docs] of byFile) {
          await writeFile(join(opts.out, file), `${header}${docs.join("---\n")}`);
          process.stderr.write(`wrote ${join(opts.out, file)} (${plural(docs.length, "object")})\n`);
        }
        if (byFile.size === 0)
          process.stderr.write("nothing to import: no networks, Ceph objects, VMs or nodes found\n");
      } else {
        const all = [...byFile.values()].flat();
        process.stdout.write(all.length ? `${header}${all.join("---\n")}` : "");
      }
    });
}
