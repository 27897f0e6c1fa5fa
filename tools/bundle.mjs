// Bundles the loader with wasm-bindgen's JS glue into one classic script, ready for terser: pages then download
// one script instead of two (and no `import()`), and the glue's code the loader never calls (`initSync`, module
// paths, deprecated arguments) becomes unreachable, so terser drops it. The two modules (local and remote) import
// the same browser functions, so their glue is the same text (build.sh checks it) and one copy serves both: the
// loader instantiates whichever wasm `load()` asks for with it.
//
// usage: node tools/bundle.mjs pkg/local.js www/eventflow.js OUT.js
//   pkg/local.js: the glue as wasm-bindgen (`--target web`) and tools/glue-names.mjs wrote it, not minified
//   www/eventflow.js: the loader, a function expression called with `glue` (see its header)
// then: terser OUT.js --module ...  (the glue's code is module code; what remains after terser is a classic script)
//
// The bundle is one strict-mode function: the glue's top-level declarations become its locals, `export` removed,
// then `glue` = { Chat, init }, then the loader. `init(response)` is the glue's own instantiation path without its
// argument handling: `__wbg_load` (streaming, with wasm-bindgen's fallback for a server that sends the wrong MIME
// type, and its error for a failed fetch), the import object, `__wbg_finalize_init` (which runs the start function).
import { readFileSync, writeFileSync } from "node:fs";

const [gluePath, loaderPath, outPath] = process.argv.slice(2);
const fail = (msg) => {
  console.error(`bundle: ${msg}`);
  process.exit(1);
};
if (!outPath) fail("usage: node tools/bundle.mjs GLUE.js LOADER.js OUT.js");

let glue = readFileSync(gluePath, "utf8");
const loader = readFileSync(loaderPath, "utf8");

// What the bundle relies on, by name (wasm-bindgen is pinned in Cargo.toml; a new version that renames these
// fails here, not in a browser).
for (const needed of [
  "export class Chat ",
  "function __wbg_get_imports(",
  "async function __wbg_load(",
  "function __wbg_finalize_init(",
]) {
  if (!glue.includes(needed)) fail(`${gluePath} has no \`${needed.trim()}\`: not the glue of wasm-bindgen 0.2.130?`);
}
if (!/\}\)\(glue\);\s*$/.test(loader)) fail(`${loaderPath} must end by calling its function with \`glue\`: })(glue);`);

// `export class X`, `export function f` -> local declarations; the closing `export { ... };` list goes.
glue = glue.replace(/^export (?=(?:class|function|async function|const|let) )/gm, "");
const exportList = /^export \{[^}]*\};?[ \t]*$/m;
if (!exportList.test(glue)) fail(`${gluePath} has no closing \`export { ... }\` list`);
glue = glue.replace(exportList, "");
if (/^\s*export\b/m.test(glue)) fail(`${gluePath} has an \`export\` this script does not know`);

const bundle = `(function () {
"use strict";
${glue}
var glue = {
  Chat: Chat,
  init: function (response) {
    return response
      .then(function (r) { return __wbg_load(r, __wbg_get_imports()); })
      .then(function (r) { __wbg_finalize_init(r.instance, r.module); });
  },
};
${loader}
})();
`;
writeFileSync(outPath, bundle);
