/** The user's input files as the commands read them. */
import { splitLines } from '../../src/node.js';

/** The sentences of a file: its lines ('\n', '\r\n' or '\r'); a final line break adds no empty sentence. */
export function fileLines(text: string): string[] {
  return splitLines(text).lines;
}
