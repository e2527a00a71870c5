// Paths and package lists shared by the repository checks.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The monorepo root. */
export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export interface WorkspacePackage {
  dir: string;
  pj: Record<string, unknown> & { name: string; version: string; private?: boolean };
}

/** Every workspace package (packages/*, apps/*, tools/*) with its parsed package.json. */
export function workspacePackages(): WorkspacePackage[] {
  const out: WorkspacePackage[] = [];
  for (const group of ['packages', 'apps', 'tools']) {
    for (const d of fs.readdirSync(path.join(root, group))) {
      const file = path.join(root, group, d, 'package.json');
      if (!fs.existsSync(file)) continue;
      out.push({
        dir: path.join(root, group, d),
        pj: JSON.parse(fs.readFileSync(file, 'utf8')) as WorkspacePackage['pj'],
      });
    }
  }
  return out;
}

/** The packages that are published (not private). */
export const publishedPackages = (): WorkspacePackage[] =>
  workspacePackages().filter((p) => p.pj.private !== true);
