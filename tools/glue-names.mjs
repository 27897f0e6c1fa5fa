// Renames the wasm module's imports and exports in wasm-bindgen's JS glue, after binaryen's
// `wasm-opt --minify-imports-and-exports-and-modules` has renamed them in the wasm. wasm-bindgen names each import
// with a 16-digit hash (`__wbg_get_8ac6b2d3e1f0a9c7`), written in the wasm and again in the glue, which gzip
// cannot compress; binaryen gives each a short name and prints the mapping, this script applies it to the glue.
//
// usage: node tools/glue-names.mjs MAPPING.json pkg/eventflow.js   (rewrites the glue in place; run on
// wasm-bindgen's unminified output, before terser, which names the instance's exports `wasm.NAME` and the import
// object's functions `NAME: function`). MAPPING.json is what the wasm-opt pass printed:
// {"imports": [[module, name, new name], ...], "exports": [[name, new name], ...]}; every import's module
// becomes "a".
import { readFileSync, writeFileSync } from "node:fs";

const [mappingPath, gluePath] = process.argv.slice(2);
const fail = (msg) => {
  console.error(`glue-names: ${msg}`);
  process.exit(1);
};
let mapping;
try {
  mapping = JSON.parse(readFileSync(mappingPath, "utf8"));
} catch (e) {
  fail(`${mappingPath} is not the mapping wasm-opt prints: ${e.message}`);
}
if (!Array.isArray(mapping.imports) || !Array.isArray(mapping.exports)) fail(`${mappingPath} has no imports and exports`);
let glue = readFileSync(gluePath, "utf8");

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
// `expectOne`: the name must occur exactly once (an import's key); otherwise any number of times (an export the
// glue never calls, such as the module's abort handler, occurs zero times). The replacement is given by a
// function: binaryen's names may hold `$`, which a replacement string would read as a pattern.
const replaceAll = (pattern, to, what, expectOne) => {
  const re = new RegExp(pattern, "g");
  const hits = (glue.match(re) || []).length;
  if (expectOne && hits !== 1) fail(`${what}: found ${hits} times in the glue`);
  glue = glue.replace(re, () => to);
};
const modules = new Set(mapping.imports.map(([module]) => module));
for (const module of modules) replaceAll(`"${escape(module)}":`, `"a":`, `the import module ${module}`, true);
for (const [, from, to] of mapping.imports) {
  replaceAll(`(?<![\\w$])${escape(from)}(?=: function)`, to, `import ${from}`, true);
}
for (const [from, to] of mapping.exports) {
  replaceAll(`(?<![\\w$])wasm\\.${escape(from)}(?![\\w$])`, `wasm.${to}`, `export ${from}`, false);
}
// Nothing may still name an old import (wasm-bindgen's names are long and unique) or use the exports object
// any other way than `wasm.NAME` (a use the patterns above did not know).
for (const [, old] of mapping.imports) {
  if (new RegExp(`(?<![\\w$])${escape(old)}(?![\\w$])`).test(glue)) fail(`${old} is still named in the glue`);
}
// Other uses of the exports object are only these: declared, assigned, compared, returned by `init` (the loader
// never reads exports by name).
const otherUses = glue.match(/(?<![\w$.'"/])wasm(?![\w$.'"])[^\n]{0,20}/g) || [];
for (const use of otherUses) {
  if (!/^wasm(;| = instance\.| !== undefined|\s*$|;\s*$)/.test(use)) fail(`the glue uses the exports object as \`${use}\``);
}
writeFileSync(gluePath, glue);
console.log(`glue-names: ${mapping.imports.length} imports and ${mapping.exports.length} exports renamed`);
