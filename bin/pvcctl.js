#!/usr/bin/env node
// Entry point of `pvcctl`: the sources are TypeScript run through tsx (no build step), so register
// its loader first, then load the real CLI.
import { register } from "tsx/esm/api";

register();
await import("../src/pvcctl/main.ts");
