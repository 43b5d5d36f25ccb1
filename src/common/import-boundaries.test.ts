import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;
const eslint = new ESLint({ cwd: root });

/** Lints `code` as if it were the file at `filePath` (under the repository), with the project's config. */
async function restrictedImports(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${root}${filePath}` });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('import boundaries (eslint no-restricted-imports)', { timeout: 60_000 }, () => {
  it('fails kysely outside src/store and allows it inside', async () => {
    const code = "import { sql } from 'kysely';\nexport const q = sql`select 1`;\n";
    expect(await restrictedImports(code, 'src/monitor/breach.ts')).toEqual([expect.stringContaining('only under src/store')]);
    expect(await restrictedImports(code, 'src/core/instances/breach.ts')).toEqual([expect.stringContaining('only under src/store')]);
    expect(await restrictedImports(code, 'src/store/repositories/fine.ts')).toEqual([]);
  });

  it('fails dockerode outside the docker and swarm drivers, type imports included', async () => {
    const code = "import type Docker from 'dockerode';\nexport type D = Docker;\n";
    expect(await restrictedImports(code, 'src/api/routes/breach.ts')).toEqual([expect.stringContaining('only under src/runtime/docker')]);
    expect(await restrictedImports(code, 'src/store/breach.ts')).toEqual([expect.stringContaining('only under src/runtime/docker')]);
    expect(await restrictedImports(code, 'src/runtime/docker/fine.ts')).toEqual([]);
    expect(await restrictedImports(code, 'src/runtime/swarm/fine.ts')).toEqual([]);
  });

  it('fails core importing an outer layer', async () => {
    for (const layer of ['api/app', 'cli/cli', 'monitor/monitor', 'scheduler/scheduler', 'reconciler/reconciler']) {
      const code = `import type { X } from '../../${layer}.js';\nexport type Y = X;\n`;
      expect(await restrictedImports(code, 'src/core/instances/breach.ts'), layer).toEqual([expect.stringContaining('core never imports an outer layer')]);
    }
    expect(await restrictedImports("import type { X } from '../../store/store.js';\nexport type Y = X;\n", 'src/core/instances/fine.ts')).toEqual([]);
    // Outer layers may import each other and core.
    expect(await restrictedImports("import type { X } from '../core/instances/instance-types.js';\nexport type Y = X;\n", 'src/monitor/fine.ts')).toEqual([]);
  });

  it('fails the store importing core or an outer layer (no arrow runs back up)', async () => {
    for (const layer of ['core/instances/instance-types', 'monitor/monitor', 'api/app']) {
      const code = `import type { X } from '../../${layer}.js';\nexport type Y = X;\n`;
      expect(await restrictedImports(code, 'src/store/repositories/breach.ts'), layer).toEqual([expect.stringContaining('the store imports only common and config')]);
    }
    expect(await restrictedImports("import type { X } from '../../common/instance-status.js';\nexport type Y = X;\n", 'src/store/repositories/fine.ts')).toEqual([]);
  });
});
