// Writes build/.files: every file of the build, one path a line, relative to build/. The registry
// reads this list from its classpath at start (a jar's resources cannot be listed portably).
import { readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = process.argv[2] ?? 'build';
const files = [];
(function walk(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (e.name !== '.files') files.push(relative(root, p).split('\\').join('/'));
  }
})(root);
files.sort();
writeFileSync(join(root, '.files'), files.join('\n') + '\n');
console.log(`${root}/.files: ${files.length} files`);
