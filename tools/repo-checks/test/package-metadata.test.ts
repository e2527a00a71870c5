// What npm shows and what a user installing a package relies on: complete metadata, ES module
// exports with a `default` condition (require() works on Node >= 20.19), READMEs that say so
// and that link only inside the repository or to the web.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { publishedPackages, root } from './repo.js';

const repoUrl = 'git+https://github.com/axebpf/axebpf.git';

describe.each(publishedPackages().map((p) => [p.pj.name, p] as const))('%s', (_name, p) => {
  const pj = p.pj as unknown as Record<string, unknown> & {
    exports: Record<string, unknown>;
    repository: Record<string, string>;
    keywords?: string[];
    bugs?: { url?: string };
  };
  const dir = path.relative(root, p.dir);

  it('has description, license, keywords, homepage, bugs and repository with its directory', () => {
    expect(typeof pj['description']).toBe('string');
    expect(pj['license']).toBe('MIT');
    expect(pj.keywords?.length ?? 0).toBeGreaterThan(2);
    expect(pj['homepage']).toBe(`https://github.com/axebpf/axebpf/tree/main/${dir}#readme`);
    expect(pj.bugs?.url).toBe('https://github.com/axebpf/axebpf/issues');
    expect(pj.repository).toEqual({ type: 'git', url: repoUrl, directory: dir });
  });

  it('exports ES modules with types first and a default condition on every subpath', () => {
    expect(pj['type']).toBe('module');
    for (const [sub, target] of Object.entries(pj.exports)) {
      if (sub === './package.json') continue;
      const t = target as Record<string, string>;
      expect(Object.keys(t)[0]).toBe('types');
      expect(t['default']).toBe(t['import']);
    }
  });

  it('says in its README that it is ESM-only and links nowhere outside the repository', () => {
    const readme = fs.readFileSync(path.join(p.dir, 'README.md'), 'utf8');
    expect(readme).toContain('ES modules only');
    for (const [, target] of readme.matchAll(/\]\(([^)]+)\)/g)) {
      if (/^(https?:|#|mailto:)/.test(target!)) continue;
      // a relative link must stay inside the package (npm shows the README without the rest)
      const resolved = path.resolve(p.dir, target!.split('#')[0]!);
      expect({
        target,
        inside: resolved.startsWith(p.dir + path.sep) && fs.existsSync(resolved),
      }).toEqual({ target, inside: true });
    }
    expect(readme).not.toMatch(/\.\.\/shared\//);
  });
});
