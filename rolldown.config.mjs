import { builtinModules } from 'node:module';

// The daemon and CLI as a few files (dist/src/bundle/berth.js): loading ~300 small ES modules
// was most of an empty boot. Bundled: berth's own modules and the ES-module packages made of
// hundreds of small files (Kysely, TypeBox). Every other package stays in node_modules, as
// installed: native code (better-sqlite3), packages that find files or workers beside
// themselves (pino, @fastify/swagger-ui, @fastify/static), and dockerode (see load-dockerode.ts).
const inline = [/^kysely(\/|$)/, /^@sinclair\/typebox(\/|$)/];

export default {
  input: { berth: 'dist/src/cli/bin.js' },
  platform: 'node',
  external: (id) => {
    if (id.startsWith('node:') || builtinModules.includes(id)) return true;
    if (id.startsWith('.') || id.startsWith('/') || id.startsWith('\0')) return false;
    return !inline.some((pattern) => pattern.test(id));
  },
  // Same depth as dist/src/<dir>/, so the relative paths to package.json, dist/web and dist/vendor hold.
  output: { dir: 'dist/src/bundle', format: 'esm', sourcemap: false, chunkFileNames: '[name].js' },
};
