/**
 * Classification metrics from gold and predicted class ids: accuracy, per-class precision /
 * recall / F1, macro-F1 (the unweighted mean of the per-class F1 over the classes that occur in
 * the gold labels or the predictions, as scikit-learn's f1_score(average='macro') with labels
 * left to it), and the confusion matrix (rows gold, columns predicted), with a plain-text rendering.
 * Legend: C classes, N examples.
 */
import { RnnlmError } from '../errors.js';

export interface ClassMetrics {
  precision: number;
  recall: number;
  f1: number;
  /** Gold examples of the class. */
  support: number;
}

export interface ClassificationReport {
  n: number;
  correct: number;
  accuracy: number;
  macroF1: number;
  perClass: ClassMetrics[];
  /** [C][C]: confusion[gold][predicted]. */
  confusion: number[][];
}

/** gold [N], predicted [N] class ids in 0..C−1. */
export function classificationReport(gold: ArrayLike<number>, predicted: ArrayLike<number>, C: number): ClassificationReport {
  if (gold.length !== predicted.length) throw new RnnlmError('shape_mismatch', `${gold.length} gold labels but ${predicted.length} predictions`);
  if (gold.length === 0) throw new RnnlmError('empty_corpus', 'no examples to score');
  const confusion = Array.from({ length: C }, () => new Array<number>(C).fill(0));
  let correct = 0;
  for (let i = 0; i < gold.length; i++) {
    const g = gold[i]!;
    const p = predicted[i]!;
    if (!(g >= 0 && g < C && p >= 0 && p < C)) throw new RnnlmError('invalid_argument', `example ${i}: class ids ${g}/${p} are outside 0..${C - 1}`);
    confusion[g]![p]!++;
    if (g === p) correct++;
  }
  const perClass: ClassMetrics[] = [];
  let f1Sum = 0;
  let counted = 0;
  for (let c = 0; c < C; c++) {
    const tp = confusion[c]![c]!;
    const support = confusion[c]!.reduce((a, b) => a + b, 0);
    const predictedC = confusion.reduce((a, row) => a + row[c]!, 0);
    const precision = predictedC > 0 ? tp / predictedC : 0;
    const recall = support > 0 ? tp / support : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    perClass.push({ precision, recall, f1, support });
    if (support > 0 || predictedC > 0) {
      f1Sum += f1;
      counted++;
    }
  }
  return { n: gold.length, correct, accuracy: correct / gold.length, macroF1: counted ? f1Sum / counted : 0, perClass, confusion };
}

/** Human-readable report: accuracy, macro-F1, per-class P/R/F1 and the confusion matrix. */
export function formatReport(r: ClassificationReport, names: readonly string[]): string {
  const pct = (x: number): string => `${(100 * x).toFixed(2)}`;
  const w = Math.max(5, ...names.map((n) => n.length));
  const lines = [
    `accuracy ${pct(r.accuracy)}% (${r.correct}/${r.n})  macro-F1 ${pct(r.macroF1)}%`,
    '',
    `${'class'.padEnd(w)}  precision  recall     F1  support`,
  ];
  r.perClass.forEach((m, c) => {
    lines.push(
      `${names[c]!.padEnd(w)}  ${pct(m.precision).padStart(9)}  ${pct(m.recall).padStart(6)}  ${pct(m.f1).padStart(5)}  ${String(m.support).padStart(7)}`,
    );
  });
  const cw = Math.max(w, ...r.confusion.flat().map((v) => String(v).length));
  lines.push('', `confusion (rows gold, columns predicted)`, `${''.padEnd(w)}  ${names.map((n) => n.padStart(cw)).join('  ')}`);
  r.confusion.forEach((row, g) => lines.push(`${names[g]!.padEnd(w)}  ${row.map((v) => String(v).padStart(cw)).join('  ')}`));
  return lines.join('\n');
}
