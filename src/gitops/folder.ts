/**
 * A GitOps folder read incrementally: each manifest file is parsed and validated once per
 * content, and a sync reads only what may have changed. At 10,000 files, reading and validating
 * the whole folder twice per sync took seconds; a save now costs the saved file.
 *
 * What may have changed:
 *  - the paths the folder watch reported since the last read (`touched`), each checked by its
 *    mtime and size, then by a hash of its content (a `touch` or a rewrite with the same bytes
 *    parses nothing);
 *  - everything, after `invalidate()` (the first read, a periodic resync, a folder created or
 *    removed, a watch error, another `ignore` list): every file is listed and stat'ed, and only
 *    those whose mtime, size or content differ are read.
 *
 * The safety against half-written files holds per changed file: each is read twice, at least
 * `settleMs` apart, and a file whose two reads differ (or that appears or vanishes between them)
 * makes the whole read unsettled: nothing is taken, the touched paths stay pending, and the
 * write's own event brings the next sync. A reported file's first read is made when it is
 * reported, so the debounce before the sync is usually that pause already. Duplicates across
 * files and the revision are kept up to date as files change (no pass over the folder for them).
 */
import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { isAbsolute, join } from "node:path";
import {
  displayName,
  duplicateProblems,
  listManifestFiles,
  MANIFEST_EXTENSIONS,
  type ManifestDoc,
  type ManifestProblem,
  parseManifests,
} from "../manifests/manifests.ts";
import { mapLimit } from "../map-limit.ts";

export interface FolderFile {
  /** Relative to the folder, `/`-separated. */
  file: string;
  docs: ManifestDoc[];
  problems: ManifestProblem[];
}

export interface FolderSnapshot {
  dir: string;
  /** In path order. */
  files: FolderFile[];
  /** A hash of every file's path and content. */
  revision: string;
}

const REFUSED = {
  GitOpsSync: "GitOpsSync objects are written by the GitOps watcher itself; a folder cannot declare one",
};

/** Whether `file` (relative, `/`-separated) is, or is inside, one of the ignored paths. */
export function isIgnored(file: string, ignore: readonly string[]): boolean {
  return ignore.some((p) => file === p || file.startsWith(`${p}/`));
}

interface Cached {
  mtimeMs: number;
  size: number;
  /** When the file was stat'ed (wall clock): an mtime this recent may hide a later write. */
  checkedAt: number;
  /** sha256 of the content. */
  hash: Buffer;
  /** Parsed and validated; problems are the file's own (duplicates are added per read). */
  parsed: FolderFile;
}

/** A file whose content differs from the cache (text: null when it is gone). */
interface Change {
  file: string;
  path: string;
  text: string | null;
  mtimeMs: number;
  size: number;
  checkedAt: number;
  /** performance.now() when `text` was read. */
  readAt: number;
}

/** What a read of a file found: its text (null: not there) and when (performance.now()). */
interface Seen {
  text: string | null;
  at: number;
}

/**
 * File times come from a coarse clock (a jiffy, up to 10 ms): a write landing in the same tick as
 * our stat, with the same size, leaves mtime and size as they were. As git does for its index, an
 * entry whose mtime is not clearly older than the stat that cached it is checked by its content.
 */
const RACY_MS = 50;
/** Reported paths read at once, to serve as the first of the two reads (beyond: read at the sync). */
const EARLY_READS = 256;

const hashOf = (text: string) => createHash("sha256").update(text).digest();
/** One file's share of the revision: its path and content together. */
const revisionShare = (file: string, hash: Buffer) =>
  createHash("sha256").update(file).update("\0").update(hash).digest();

function xorInto(target: Buffer, share: Buffer): void {
  for (let i = 0; i < target.length; i++) target[i] ^= share[i];
}

export class FolderCache {
  readonly dir: string;
  readonly #files = new Map<string, Cached>();
  /** The cached files in path order, rebuilt only when a file comes or goes. */
  #order: string[] | undefined;
  /** XOR of every file's share: the revision, kept as files change (no pass over the folder). */
  readonly #revision = Buffer.alloc(32);
  /** `Kind/name` → the documents declaring it, for the keys declared more than once. */
  readonly #declared = new Map<string, ManifestDoc[]>();
  /** Relative paths reported since the last read. */
  #touched = new Set<string>();
  /** Each reported path as read when it was reported: the first of its two reads. */
  readonly #early = new Map<string, Seen>();
  /** The newest early read started per path, and how many are under way. */
  readonly #latest = new Map<string, number>();
  #seq = 0;
  #reading = 0;
  #full = true;
  #ignore = "";

  constructor(dir: string) {
    this.dir = dir;
  }

  /**
   * A path the folder watch reported (absolute, or relative to the folder). It is read now: the
   * sync, a debounce later, reads it again, and the two must agree (see `read`).
   */
  touched(path: string): void {
    const file = displayName(this.dir, isAbsolute(path) ? path : join(this.dir, path));
    if (file.startsWith("..")) return;
    // Anything but a manifest file (a folder, say) may stand for many files: look at them all.
    if (!MANIFEST_EXTENSIONS.test(file)) {
      this.invalidate();
      return;
    }
    this.#touched.add(file);
    this.#early.delete(file);
    if (this.#reading >= EARLY_READS) return;
    const seq = ++this.#seq;
    this.#latest.set(file, seq);
    this.#reading++;
    const at = performance.now();
    void readFile(join(this.dir, ...file.split("/")), "utf8")
      .catch(() => null)
      .then((text) => {
        this.#reading--;
        // Only the read of the latest report counts (a later report supersedes this one).
        if (this.#latest.get(file) !== seq) return;
        this.#latest.delete(file);
        if (this.#touched.has(file)) this.#early.set(file, { text, at });
      });
  }

  /** The next read lists and checks every file. */
  invalidate(): void {
    this.#full = true;
  }

  /**
   * The folder as it is now, reading only what changed; undefined when a changed file did not
   * read the same twice at least `settleMs` apart (nothing is taken then: read again later). The
   * first read of a reported file is the one made when it was reported; only when that is
   * missing or too recent does the read wait.
   */
  async read(ignore: readonly string[], settleMs: number): Promise<FolderSnapshot | undefined> {
    const ignoreKey = JSON.stringify(ignore);
    const full = this.#full || ignoreKey !== this.#ignore;
    const touched = this.#touched;
    this.#full = false;
    this.#touched = new Set();
    try {
      const changes = await this.#changes(full ? await this.#listAll(ignore) : [...touched], ignore);
      if (changes.length > 0 && settleMs > 0 && !(await this.#settled(changes, settleMs))) {
        this.#restore(full, touched);
        return undefined;
      }
      for (const f of touched) this.#early.delete(f);
      this.#take(changes, ignore);
      this.#ignore = ignoreKey;
      return this.#snapshot();
    } catch (err) {
      this.#restore(full, touched);
      throw err;
    }
  }

  #restore(full: boolean, touched: Set<string>): void {
    if (full) this.#full = true;
    for (const f of touched) this.#touched.add(f);
  }

  /** Every manifest file now (not ignored), plus every cached one (to notice those gone). */
  async #listAll(ignore: readonly string[]): Promise<string[]> {
    const info = await stat(this.dir).catch(() => null);
    if (!info?.isDirectory()) throw new Error(`GitOps folder ${this.dir} does not exist or is not a folder`);
    const listed = (await listManifestFiles(this.dir))
      .map((p) => displayName(this.dir, p))
      .filter((f) => !isIgnored(f, ignore));
    return [...new Set([...listed, ...this.#files.keys()])];
  }

  /** The files among `files` whose content differs from the cache. */
  async #changes(files: readonly string[], ignore: readonly string[]): Promise<Change[]> {
    const changes: Change[] = [];
    await mapLimit(files, 16, async (file) => {
      const change = await this.#change(file, ignore);
      if (change) changes.push(change);
    });
    return changes;
  }

  async #change(file: string, ignore: readonly string[]): Promise<Change | undefined> {
    const path = join(this.dir, ...file.split("/"));
    const cached = this.#files.get(file);
    const checkedAt = Date.now();
    const readAt = performance.now();
    const gone = cached ? { file, path, text: null, mtimeMs: 0, size: 0, checkedAt, readAt } : undefined;
    const hidden = file.split("/").some((part) => part.startsWith("."));
    const info = hidden || isIgnored(file, ignore) ? null : await stat(path).catch(missing);
    if (!info?.isFile()) return gone;
    if (
      cached &&
      cached.mtimeMs === info.mtimeMs &&
      cached.size === info.size &&
      cached.mtimeMs < cached.checkedAt - RACY_MS
    )
      return undefined;
    const text = await readFile(path, "utf8").catch(missing);
    if (text === null) return gone;
    if (cached?.hash.equals(hashOf(text))) {
      Object.assign(cached, { mtimeMs: info.mtimeMs, size: info.size, checkedAt });
      return undefined;
    }
    return { file, path, text, mtimeMs: info.mtimeMs, size: info.size, checkedAt, readAt };
  }

  /**
   * Whether every changed file read the same twice at least `settleMs` apart: the early read (at
   * its report) and this one, or else this one and another after a pause.
   */
  async #settled(changes: readonly Change[], settleMs: number): Promise<boolean> {
    const unproven = changes.filter((c) => {
      const early = this.#early.get(c.file);
      return !(early && early.text === c.text && c.readAt - early.at >= settleMs);
    });
    if (unproven.length === 0) return true;
    await new Promise((r) => setTimeout(r, settleMs));
    for (const c of unproven) {
      const again = await readFile(c.path, "utf8").catch(missing);
      if (again !== c.text) return false;
    }
    return true;
  }

  #take(changes: readonly Change[], ignore: readonly string[]): void {
    for (const c of changes) {
      this.#forget(c.file);
      if (c.text === null) continue;
      const parsed = { file: c.file, ...parseManifests(c.file, c.text, { refuseKinds: REFUSED }) };
      const hash = hashOf(c.text);
      this.#files.set(c.file, { mtimeMs: c.mtimeMs, size: c.size, checkedAt: c.checkedAt, hash, parsed });
      this.#order = undefined;
      xorInto(this.#revision, revisionShare(c.file, hash));
      for (const d of parsed.docs) this.#declare(d);
    }
    // Files that an `ignore` entry now covers leave the folder.
    for (const file of [...this.#files.keys()]) if (isIgnored(file, ignore)) this.#forget(file);
  }

  /** Takes a file out of the cache, the revision and the declarations. */
  #forget(file: string): void {
    const cached = this.#files.get(file);
    if (!cached) return;
    this.#files.delete(file);
    this.#order = undefined;
    xorInto(this.#revision, revisionShare(file, cached.hash));
    for (const d of cached.parsed.docs) {
      const list = (this.#declared.get(d.key) ?? []).filter((x) => x !== d);
      if (list.length > 0) this.#declared.set(d.key, list);
      else this.#declared.delete(d.key);
    }
  }

  #declare(d: ManifestDoc): void {
    const list = this.#declared.get(d.key);
    if (!list) {
      this.#declared.set(d.key, [d]);
      return;
    }
    list.push(d);
    // Path order, then document order: the first is the declaration, the others duplicates.
    list.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.index - b.index));
  }

  #snapshot(): FolderSnapshot {
    this.#order ??= [...this.#files.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    // Duplicates are a problem of the later file: a new FolderFile, the cached one stays clean.
    const extra = new Map<string, ManifestProblem[]>();
    for (const list of this.#declared.values()) {
      if (list.length < 2) continue;
      for (const p of duplicateProblems(list)) extra.set(p.file, [...(extra.get(p.file) ?? []), p]);
    }
    const files = this.#order.map((file) => {
      const parsed = (this.#files.get(file) as Cached).parsed;
      const more = extra.get(file);
      return more ? { ...parsed, problems: [...parsed.problems, ...more] } : parsed;
    });
    return { dir: this.dir, files, revision: this.#revision.toString("hex").slice(0, 16) };
  }
}

/** ENOENT (and friends: a file removed, or replaced by a folder, while we looked) reads as absent. */
function missing(err: NodeJS.ErrnoException): null {
  if (err.code === "ENOENT" || err.code === "ENOTDIR" || err.code === "EISDIR") return null;
  throw err;
}

/** One full read of a folder (no cache kept): what a first sync sees. */
export async function readFolder(dir: string, ignore: readonly string[] = []): Promise<FolderSnapshot> {
  return (await new FolderCache(dir).read(ignore, 0)) as FolderSnapshot;
}
