/**
 * Writes the model the web page opens with (apps/web/model/) from a trained checkpoint: the same
 * model with its weights stored as bf16 (half the bytes) and no training state.
 *
 *   npx rnnlm train --train data/tinyshakespeare/input.txt --tokenizer char --layers 2 --emb 64 --hidden 256 \
 *     --optimizer adam --lr 0.003 --clip 1 --batch-size 32 --bptt 64 --dropout 0.1 --epochs 50 --max-minutes 8 \
 *     --precision bf16 --seed 1 --out runs/web-char
 *   npx tsx scripts/make-web-model.ts runs/web-char          # → apps/web/model/
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadLanguageModel, saveLanguageModel } from '../src/node.js';

const [from, to = path.join(import.meta.dirname, '..', 'apps', 'web', 'model')] = process.argv.slice(2);
if (!from) {
  console.error('usage: tsx scripts/make-web-model.ts CHECKPOINT_DIR [OUT_DIR]');
  process.exit(2);
}
const { model, tokenizer } = loadLanguageModel(from);
fs.rmSync(to, { recursive: true, force: true });
saveLanguageModel(to, model, tokenizer, undefined, { weightsAs: 'BF16' });
const bytes = fs.readdirSync(to).reduce((n, f) => n + fs.statSync(path.join(to, f)).size, 0);
console.log(`wrote ${to}: ${model.numParameters().toLocaleString('en-US')} parameters, ${(bytes / 2 ** 20).toFixed(2)} MiB`);
