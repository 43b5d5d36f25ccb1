import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from './loader.js';

describe('README configuration reference', () => {
  it('lists every key with the schema default', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const block = /<!-- config-defaults:start -->\n```yaml\n([\s\S]*?)```\n<!-- config-defaults:end -->/.exec(readme)?.[1];
    expect(block, 'README has the config-defaults block').toBeDefined();
    const { config } = loadConfig({ env: {}, cwd: '/nonexistent-dir' });
    expect(parse(block ?? '')).toEqual({ ...config, dataDir: './data' });
  });
});
