/* global console, process */
// Copies ReDoc's self-contained browser bundle (and its licences) into dist/vendor/redoc/, so
// the daemon serves /redoc without redoc's npm dependency tree installed (redoc is a
// devDependency: a production install has only this prebuilt file). Run by `npm run build`
// and the image build.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
let bundle;
try {
  bundle = require.resolve('redoc/bundles/redoc.standalone.js');
} catch {
  console.error('vendor-redoc: the redoc package is not installed (a devDependency): run npm ci');
  process.exit(1);
}
const out = path.resolve(process.argv[2] ?? 'dist/vendor/redoc');
mkdirSync(out, { recursive: true });
const dir = path.dirname(bundle);
for (const file of ['redoc.standalone.js', 'redoc.standalone.js.LICENSE.txt']) copyFileSync(path.join(dir, file), path.join(out, file));
const license = path.join(dir, '..', 'LICENSE');
if (existsSync(license)) copyFileSync(license, path.join(out, 'LICENSE'));
