/**
 * The watch on a GitOps folder: one inotify watch (node's fs.watch) per folder of the tree, each
 * reporting the path of the entry that changed. chokidar, used before, read a whole folder again
 * (an lstat per entry) on every event in it: at 10,000 files that was most of a save's CPU, and
 * node's own `recursive: true` costs as much per event on Linux. Here an event costs nothing but
 * the report.
 *
 * Folders are found as manifests are (folder.ts): hidden ones (`.git`) are not watched. A folder
 * that appears is watched with what is below it, and one that goes is dropped; either way the
 * owner is told to look at everything (`rescan`), as it is when a watch fails.
 */
import { type FSWatcher, watch } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { join, sep } from "node:path";

export interface FolderWatchEvents {
  /** An entry changed, appeared or went (absolute path): a file, or a folder. */
  path: (path: string) => void;
  /** Events may have been missed: every file should be checked. */
  rescan: () => void;
  error: (err: unknown) => void;
}

export class FolderWatch {
  readonly #root: string;
  readonly #on: FolderWatchEvents;
  readonly #watchers = new Map<string, FSWatcher>();
  #closed = false;

  constructor(root: string, on: FolderWatchEvents) {
    this.#root = root;
    this.#on = on;
  }

  /** Watches the root and every folder below it; resolves once all are watched. */
  async start(): Promise<void> {
    await this.#watchTree(this.#root);
  }

  close(): void {
    this.#closed = true;
    for (const w of this.#watchers.values()) w.close();
    this.#watchers.clear();
  }

  async #watchTree(dir: string): Promise<void> {
    if (this.#closed || this.#watchers.has(dir)) return;
    let watcher: FSWatcher;
    try {
      watcher = watch(dir, (_event, name) => this.#event(dir, name));
    } catch (err) {
      // Gone before we got to it: the rescan that follows finds what is there.
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
      throw err;
    }
    watcher.on("error", (err) => {
      this.#drop(dir);
      this.#on.error(err);
      this.#on.rescan();
    });
    this.#watchers.set(dir, watcher);
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (e.isDirectory() && !e.name.startsWith(".")) await this.#watchTree(join(dir, e.name));
    }
  }

  /** Stops watching `dir` and every folder below it. */
  #drop(dir: string): void {
    for (const [path, w] of this.#watchers) {
      if (path === dir || path.startsWith(`${dir}${sep}`)) {
        w.close();
        this.#watchers.delete(path);
      }
    }
  }

  #event(dir: string, name: string | Buffer | null): void {
    if (this.#closed) return;
    if (name === null) {
      this.#on.rescan();
      return;
    }
    const path = join(dir, String(name));
    this.#on.path(path);
    if (String(name).startsWith(".")) return;
    // A folder that came or went: watch it (or stop), and have everything looked at.
    void stat(path).then(
      (info) => {
        if (info.isDirectory() && !this.#watchers.has(path)) {
          this.#watchTree(path).then(
            () => this.#on.rescan(),
            (err) => this.#on.error(err),
          );
        }
      },
      () => {
        if (this.#watchers.has(path)) {
          this.#drop(path);
          this.#on.rescan();
        }
      },
    );
  }
}
