/**
 * The status page's files (the repository's `ui/` folder: plain HTML, CSS and JavaScript modules,
 * nothing to build), read once at start-up and served from memory by name. Only the names found
 * there are served, so no path from a request ever reaches the file system.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";

export const UI_DIR = new URL("../../ui/", import.meta.url);

const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  svg: "image/svg+xml",
};

export interface UiFile {
  body: Buffer;
  type: string;
  etag: string;
}

/** Every servable file of `dir` by name (sub-folders and other types are not served). */
export function loadUiFiles(dir: URL = UI_DIR): Map<string, UiFile> {
  const files = new Map<string, UiFile>();
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const type = TYPES[entry.name.split(".").pop() ?? ""];
    if (!entry.isFile() || !type) continue;
    const body = readFileSync(new URL(entry.name, dir));
    const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 16)}"`;
    files.set(entry.name, { body, type, etag });
  }
  return files;
}
