/** N-gram language models: interpolated modified Kneser–Ney estimation, a typed-array trie, ARPA files. */
export { BOS, EOS, UNK, NgramVocab, arpaWord, sentenceEndId } from './vocab.js';
export { wordSentences, tokenizerSentences, type SentenceStream } from './text.js';
export { NgramModel, LOG10_ZERO, summarizeNgramScores, type NgramLevel, type NgramSentenceScore, type NgramCorpusScore } from './model.js';
export { estimateKneserNey, modifiedKnDiscounts, type KneserNeyOptions, type KneserNeyStats } from './kn.js';
export { formatArpa, arpaText, parseArpa } from './arpa.js';
export { defaultNgramSpec, type NgramRunSpec, type NgramDataSpec } from './spec.js';
