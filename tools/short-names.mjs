// Shortens the names wasm-bindgen gives the module's imports and exports (`__wbg_get_8ac6b2d3e1f0a9c7`, ...) to
// one or two letters, in the wasm and in its JS glue together, as a bundler's minifier would. The names carry a
// 16-digit hash each, written twice (import section and glue), which gzip cannot compress.
//
// usage: node tools/short-names.mjs pkg/local_bg.wasm pkg/local.js   (rewrites both files in place;
// run on wasm-bindgen's output, before terser; the unminified glue names the instance's exports `wasm.NAME` and
// the import object's functions `NAME: function`)
import { readFileSync, writeFileSync } from "node:fs";

const [wasmPath, gluePath] = process.argv.slice(2);
const wasm = readFileSync(wasmPath);
let glue = readFileSync(gluePath, "utf8");
const fail = (msg) => {
  console.error(`short-names: ${msg}`);
  process.exit(1);
};

// ---- wasm binary reading and writing (only what the import and export sections need) ----
let pos = 0;
const u32 = () => {
  let r = 0, shift = 0, b;
  do {
    b = wasm[pos++];
    r |= (b & 0x7f) << shift;
    shift += 7;
  } while (b & 0x80);
  return r >>> 0;
};
const name = () => {
  const n = u32();
  const s = wasm.toString("utf8", pos, pos + n);
  pos += n;
  return s;
};
const leb = (n) => {
  const out = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return Buffer.from(out);
};
const str = (s) => {
  const b = Buffer.from(s, "utf8");
  return Buffer.concat([leb(b.length), b]);
};
// Skips one limits (tables, memories) and returns its bytes.
const limits = () => {
  const start = pos, flags = wasm[pos++];
  u32();
  if (flags & 1) u32();
  return wasm.subarray(start, pos);
};

// Short names: a..z A..Z, then two letters; never a JS reserved word (two-letter ones: do, if, in).
const reserved = new Set(["do", "if", "in"]);
const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
let next = 0;
const fresh = () => {
  for (;;) {
    let n = next++, s = letters[n % 52];
    n = Math.floor(n / 52);
    while (n > 0) {
      s = letters[(n - 1) % 52] + s;
      n = Math.floor((n - 1) / 52);
    }
    if (!reserved.has(s)) return s;
  }
};

// wasm-bindgen names the import module after the wasm file: `./local_bg.js` for `local_bg.wasm`.
const GLUE_MODULE = "./" + wasmPath.split("/").pop().replace(/\.wasm$/, ".js");
const renamed = new Map(); // old import name -> new
const exportsRenamed = new Map(); // old export name -> new
if (wasm.readUInt32LE(0) !== 0x6d736100) fail(`${wasmPath} is not a wasm module`);
pos = 8;
const parts = [wasm.subarray(0, 8)];
while (pos < wasm.length) {
  const id = wasm[pos++];
  const size = u32();
  const start = pos, end = pos + size;
  if (id === 2) {
    const count = u32();
    const out = [leb(count)];
    for (let i = 0; i < count; i++) {
      const module = name(), field = name();
      const kindStart = pos, kind = wasm[pos++];
      if (kind === 0) u32();
      else if (kind === 1) { pos++; limits(); }
      else if (kind === 2) limits();
      else if (kind === 3) pos += 2;
      else if (kind === 4) { pos++; u32(); }
      else fail(`unknown import kind ${kind}`);
      const desc = wasm.subarray(kindStart, pos);
      if (module !== GLUE_MODULE) fail(`import from an unexpected module ${module}`);
      if (!renamed.has(field)) renamed.set(field, fresh());
      out.push(str("a"), str(renamed.get(field)), desc);
    }
    if (pos !== end) fail("import section not read to its end");
    const body = Buffer.concat(out);
    parts.push(Buffer.from([2]), leb(body.length), body);
  } else if (id === 7) {
    const count = u32();
    const out = [leb(count)];
    next = 0; // exports have their own namespace
    for (let i = 0; i < count; i++) {
      const field = name();
      const kindStart = pos;
      pos++;
      u32();
      exportsRenamed.set(field, fresh());
      out.push(str(exportsRenamed.get(field)), wasm.subarray(kindStart, pos));
    }
    if (pos !== end) fail("export section not read to its end");
    const body = Buffer.concat(out);
    parts.push(Buffer.from([7]), leb(body.length), body);
  } else {
    parts.push(wasm.subarray(start - 1 - leb(size).length, end));
  }
  pos = end;
}

// ---- the glue ----
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
// `expectOne`: the name must occur exactly once (an import's key); otherwise any number of times (an export the
// glue never calls, such as the module's abort handler, occurs zero times).
const replaceAll = (pattern, to, what, expectOne) => {
  const re = new RegExp(pattern, "g");
  const hits = (glue.match(re) || []).length;
  if (expectOne && hits !== 1) fail(`${what}: found ${hits} times in the glue`);
  glue = glue.replace(re, to);
};
replaceAll(`"${escape(GLUE_MODULE)}":`, `"a":`, "the import module name", true);
for (const [from, to] of renamed) replaceAll(`(?<![\\w$])${escape(from)}(?=: function)`, to, `import ${from}`, true);
for (const [from, to] of exportsRenamed) replaceAll(`(?<![\\w$])wasm\\.${escape(from)}(?![\\w$])`, `wasm.${to}`, `export ${from}`, false);
// Nothing may still name an old import (wasm-bindgen's names are long and unique) or use the exports object
// any other way than `wasm.NAME` (a use the patterns above did not know).
for (const old of renamed.keys()) {
  if (new RegExp(`(?<![\\w$])${escape(old)}(?![\\w$])`).test(glue)) fail(`${old} is still named in the glue`);
}
// Other uses of the exports object are only these: declared, assigned, compared, returned by `init` (the loader
// never reads exports by name).
const otherUses = glue.match(/(?<![\w$.'"/])wasm(?![\w$.'"])[^\n]{0,20}/g) || [];
for (const use of otherUses) {
  if (!/^wasm(;| = instance\.| !== undefined|\s*$|;\s*$)/.test(use)) fail(`the glue uses the exports object as \`${use}\``);
}
writeFileSync(wasmPath, Buffer.concat(parts));
writeFileSync(gluePath, glue);
console.log(`short-names: ${renamed.size} imports and ${exportsRenamed.size} exports renamed`);
