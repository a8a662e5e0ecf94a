/** Where the installed rnnlm package lives (its shipped data/ and package.json). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: the nearest folder above this file that holds package.json. */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`cannot find the rnnlm package root above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
  return dir;
}
