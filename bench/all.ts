// npm run bench — runs every benchmark script in turn; each records its figures in bench/results.md.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { ROOT } from './util.js';

const pkg = JSON.parse(fs.readFileSync(`${ROOT}/package.json`, 'utf8')) as {
  scripts: Record<string, string>;
};
const benches = Object.keys(pkg.scripts).filter((name) => name.startsWith('bench:'));
for (const name of benches) {
  console.log(`\n== ${name}`);
  execFileSync('npm', ['run', '--silent', name], { cwd: ROOT, stdio: 'inherit' });
}
console.log('\nfigures: bench/results.md');
