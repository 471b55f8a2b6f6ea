/**
 * Element lookups by index (issue 16: at 10,000 Networks, `GET /api/v1/network/<vni>` scanned and
 * sorted the whole informer on every request, 28 ms). The informer's shared indexes
 * (src/store/indexer.ts `informerIndex`, `lookUp`) are built once and kept from its events; the
 * /api/v1 network handlers answer by vni and by description without listing the informer again.
 * In-memory fakes (named as such): an informer holding objects, with its three events.
 */
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { describe, test } from "node:test";
import type { FastifyReply } from "fastify";
import type { FacadeDeps, FacadeRequest } from "../../api/v1/facade.ts";
import { findNetwork } from "../../api/v1/network/common.ts";
import { getNetwork } from "../../api/v1/network/networks.ts";
import type { Network } from "../../src/resources/specs.ts";
import { informerIndex, lookUp } from "../../src/store/indexer.ts";
import type { Informer } from "../../src/store/informer.ts";

/** A fake informer in memory that counts its lists (a scan), with add/update/delete events. */
class FakeInformer extends EventEmitter {
  lists = 0;
  readonly objects = new Map<string, Network>();
  list(): Network[] {
    this.lists++;
    return [...this.objects.values()].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
  }
  get(name: string): Network | undefined {
    return this.objects.get(name);
  }
  put(n: Network): void {
    const old = this.objects.get(n.metadata.name);
    this.objects.set(n.metadata.name, n);
    if (old) this.emit("update", n, old);
    else this.emit("add", n);
  }
  remove(name: string): void {
    const old = this.objects.get(name);
    this.objects.delete(name);
    if (old) this.emit("delete", old);
  }
}

const network = (name: string, vni: number, description = name): Network =>
  ({
    apiVersion: "pvc.parallelvirtualcluster.org/v1",
    kind: "Network",
    metadata: { name },
    spec: { vni, description, type: "managed", ipv4: { network: "10.0.0.0/24", gateway: "10.0.0.1" } },
  }) as Network;

function depsOf(fake: FakeInformer): FacadeDeps {
  return { informer: () => fake as unknown as Informer<never> } as unknown as FacadeDeps;
}

const byVni = (n: Network) => [n.spec.vni];

describe("informer indexes", () => {
  test("one index per informer and key function, built once, then kept from the events", () => {
    const fake = new FakeInformer();
    fake.put(network("a", 1));
    const informer = fake as unknown as Informer<Network>;
    const index = informerIndex(informer, byVni);
    assert.equal(informerIndex(informer, byVni), index, "shared");
    assert.equal(fake.lists, 1);
    fake.put(network("b", 2));
    fake.put(network("a", 3));
    assert.deepEqual(
      lookUp(informer, byVni, 3).map((n) => n.metadata.name),
      ["a"],
    );
    assert.deepEqual(lookUp(informer, byVni, 1), []);
    assert.deepEqual(index.keys().sort(), [2, 3]);
    fake.remove("b");
    assert.deepEqual(lookUp(informer, byVni, 2), []);
    assert.equal(fake.lists, 1, "no scan after the first");
    // Another informer has its own index.
    const other = new FakeInformer();
    other.put(network("x", 3));
    assert.deepEqual(
      lookUp(other as unknown as Informer<Network>, byVni, 3).map((n) => n.metadata.name),
      ["x"],
    );
  });

  test("an object whose keys changed before its event is not answered for the old key", () => {
    const fake = new FakeInformer();
    fake.put(network("a", 1));
    const informer = fake as unknown as Informer<Network>;
    informerIndex(informer, byVni);
    fake.objects.set("a", network("a", 9)); // changed, event not delivered yet
    assert.deepEqual(lookUp(informer, byVni, 1), []);
  });

  test("GET /api/v1/network/<vni|description> looks up by index, never lists the informer again", async () => {
    const fake = new FakeInformer();
    for (let i = 0; i < 100; i++) fake.put(network(`net-${i}`, 1000 + i, `desc-${i}`));
    const deps = depsOf(fake);
    const reply = { code: () => reply, send: (x: unknown) => x } as unknown as FastifyReply;
    const get = async (ref: string) =>
      (await getNetwork(
        deps,
        { params: { network: ref } } as FacadeRequest<{ network: string }>,
        reply,
      )) as Array<{
        vni: string;
        description: string;
      }>;
    assert.deepEqual(await get("1042"), await get("desc-42"));
    assert.deepEqual([(await get("1042"))[0].vni, (await get("1042"))[0].description], ["1042", "desc-42"]);
    const lists = fake.lists;
    for (let i = 0; i < 100; i++) await get(String(1000 + i));
    assert.equal(fake.lists, lists, "no scan per request");
    // The index follows changes: a new description is found, the old one no more.
    fake.put(network("net-7", 1007, "renamed"));
    assert.equal(findNetwork(deps, "renamed")?.metadata.name, "net-7");
    assert.equal(findNetwork(deps, "desc-7"), undefined);
    // A vni that is another network's description: the first by name, as the scan found it.
    fake.put(network("aaa", 5, "1042"));
    assert.equal(findNetwork(deps, "1042")?.metadata.name, "aaa");
  });
});
