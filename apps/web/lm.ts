/**
 * What the page computes with a loaded model, kept free of the DOM so Node tests can run it:
 *  - topTokens: the most probable next tokens of a distribution, for the top-10 bars;
 *  - scoreText: per-token surprisal (−log2 p) of a text, from the library's tokenLogProbs;
 *  - findCheckpointFiles: which picked/dropped file is which checkpoint part;
 *  - checkpointArchitecture / translateWithAttention: translation checkpoints, shown as a
 *    translation and its attention heatmap.
 * Generation itself is the library's generateTokens (each token carries its distribution).
 * Legend: T time (tokens of the text), V vocabulary; B = 1 throughout.
 */
import { type RNNLM, type Tokenizer, drain, renderHeatmap, startId, tokenLogProbs, topCandidates } from '../../src/web.js';
import { type AttentionMap, type LoadedTranslationModel, attendSentence } from '../../src/translate/index.js';

export interface RankedToken {
  id: number;
  text: string;
  prob: number;
}

/** The k most probable tokens of a log-probability row, most probable first (lower id first on ties). */
export function topTokens(logProbs: Float64Array, tokenizer: Tokenizer, k = 10): RankedToken[] {
  return topCandidates(logProbs, Math.max(0, k)).map((c) => ({ id: c.id, text: tokenizer.tokenText(c.id), prob: Math.exp(c.logProb) }));
}

export interface ScoredToken {
  id: number;
  text: string;
  /** −log2 p(token | the tokens before it). */
  bits: number;
}

export interface TextScore {
  tokens: ScoredToken[];
  totalBits: number;
  bitsPerToken: number;
}

/**
 * Surprisal of every token of `text`, read after the start token (as an empty prompt would
 * be): the library's per-token log-probs of [start, t0 … t(T−1)], positions 1.. .
 */
export function scoreText(model: RNNLM, tokenizer: Tokenizer, text: string): TextScore {
  const ids = tokenizer.encode(text, { addEos: false }); // [T]
  const T = ids.length;
  if (T === 0) return { tokens: [], totalBits: 0, bitsPerToken: 0 };
  const seq = new Int32Array(T + 1); // [T+1] the start token, then the text
  seq[0] = startId(tokenizer);
  seq.set(ids, 1);
  const lp = drain(tokenLogProbs(model, seq));
  const tokens: ScoredToken[] = [];
  let totalBits = 0;
  for (let t = 0; t < T; t++) {
    const id = ids[t]!;
    const bits = -lp[t + 1]! / Math.LN2;
    totalBits += bits;
    tokens.push({ id, text: tokenizer.tokenText(id), bits });
  }
  return { tokens, totalBits, bitsPerToken: totalBits / T };
}

export const CHECKPOINT_PARTS = ['model.safetensors', 'config.json', 'tokenizer.json', 'training-state.json', 'optimizer.safetensors'] as const;
export const REQUIRED_PARTS = CHECKPOINT_PARTS.slice(0, 3);

/**
 * Assigns files to checkpoint parts: by exact name first, then (for renamed downloads such as
 * "config (1).json") by content: a .safetensors file is the weights, a JSON with
 * "format": "rnnlm-checkpoint" the config, one with "kind" and "tokens" the tokenizer.
 * Returns part name → file; files that fit no part are listed in `ignored`.
 */
export function findCheckpointFiles<F extends { name: string }>(files: readonly { file: F; text?: string }[]): { parts: Map<string, F>; ignored: string[] } {
  const parts = new Map<string, F>();
  const rest: { file: F; text?: string }[] = [];
  for (const f of files) {
    const base = f.file.name.split(/[\\/]/).pop()!;
    if ((CHECKPOINT_PARTS as readonly string[]).includes(base) && !parts.has(base)) parts.set(base, f.file);
    else rest.push(f);
  }
  const ignored: string[] = [];
  for (const f of rest) {
    let part: string | null = null;
    if (/\.safetensors$/i.test(f.file.name) && !parts.has('model.safetensors')) part = 'model.safetensors';
    else if (f.text !== undefined) {
      try {
        const j = JSON.parse(f.text) as Record<string, unknown>;
        if (j && j.format === 'rnnlm-checkpoint') part = 'config.json';
        else if (j && typeof j.kind === 'string' && Array.isArray(j.tokens)) part = 'tokenizer.json';
      } catch {
        /* not JSON: not a part */
      }
    }
    if (part && !parts.has(part)) parts.set(part, f.file);
    else ignored.push(f.file.name);
  }
  return { parts, ignored };
}

/**
 * config.json text with the training-state files (training-state.json, optimizer.safetensors)
 * removed from its `files` record: the page only runs the model, so a checkpoint saved for
 * resuming loads from its three inference files. Text that is not a JSON object is returned
 * unchanged, for loadLanguageModel to report.
 */
export function withoutTrainingState(configText: string): string {
  let cfg: unknown;
  try {
    cfg = JSON.parse(configText);
  } catch {
    return configText;
  }
  if (typeof cfg !== 'object' || cfg === null || Array.isArray(cfg)) return configText;
  const files = (cfg as Record<string, unknown>).files;
  if (typeof files !== 'object' || files === null) return configText;
  const f = { ...(files as Record<string, unknown>) };
  delete f['training-state.json'];
  delete f['optimizer.safetensors'];
  return JSON.stringify({ ...cfg, files: f });
}

/** 'seq2seq' for a translation checkpoint's config.json text, else 'rnnlm' (a language model; bad JSON is left to the loader to report). */
export function checkpointArchitecture(configText: string): 'rnnlm' | 'seq2seq' {
  try {
    const cfg = JSON.parse(configText) as { model?: { architecture?: unknown }; architecture?: unknown } | null;
    return cfg?.model?.architecture === 'seq2seq' || cfg?.architecture === 'seq2seq' ? 'seq2seq' : 'rnnlm';
  } catch {
    return 'rnnlm';
  }
}

/** Translates one sentence (beam 5, as `rnnlm translate`) and draws its attention as an SVG heatmap (escaped markup). */
export function translateWithAttention(loaded: LoadedTranslationModel, sentence: string): { map: AttentionMap; svg: string } {
  const map = attendSentence(loaded, sentence, { beam: 5 });
  const svg = renderHeatmap({ rows: map.target, cols: map.source, values: map.weights }, { title: 'Attention', colTitle: 'source', rowTitle: 'target' });
  return { map, svg };
}
