// Copies the built distributions of our npm dependencies into the Django static tree.
// Run by `make assets` (part of `make run` and `make test`); the output is not committed.
import { cpSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "src/mailsoftly/web/static/vendor");
const files = {
  "bootstrap/dist/css/bootstrap.min.css": "bootstrap.min.css",
  "bootstrap/dist/css/bootstrap.min.css.map": "bootstrap.min.css.map",
  "bootstrap/dist/js/bootstrap.bundle.min.js": "bootstrap.bundle.min.js",
  "bootstrap/dist/js/bootstrap.bundle.min.js.map": "bootstrap.bundle.min.js.map",
  "bootstrap-icons/font/bootstrap-icons.min.css": "bootstrap-icons.min.css",
  "bootstrap-icons/font/fonts": "fonts",
  "htmx.org/dist/htmx.min.js": "htmx.min.js",
  "alpinejs/dist/cdn.min.js": "alpine.min.js",
  "chart.js/dist/chart.umd.min.js": "chart.umd.min.js",
  "grapesjs/dist/grapes.min.js": "grapesjs/grapes.min.js",
  "grapesjs/dist/css/grapes.min.css": "grapesjs/grapes.min.css",
  "grapesjs-preset-newsletter/dist/index.js": "grapesjs/preset-newsletter.min.js",
};

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
for (const [from, to] of Object.entries(files)) {
  cpSync(join(root, "node_modules", from), join(out, to), { recursive: true });
}
console.log(`assets: ${Object.keys(files).length} entries -> ${out}`);
