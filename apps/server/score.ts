/**
 * POST /v1/score: log-probability of given texts under the model — total (nats), token count,
 * perplexity and each token's log-prob (for surprisal colouring). A text is read as the
 * library's scoreSentences reads a sentence (public `sentenceIds`): primed with the start
 * token (<eos> for word models, '\n' for char models) and followed by the end token (<eos> /
 * '\n'), which is scored too — so the totals equal scoreSentences'. With no '\n' in a char
 * vocabulary the first character is context only (logprob null) and no end is added.
 * Here the log-probs are kept per token, and the forward runs in chunks of CHUNK steps with
 * the recurrent state carried, so memory stays O(CHUNK·V) and the event loop gets a turn
 * between chunks.
 * Legend: T time (chunk length), V vocabulary; B = 1.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type RNNLM, type Tokenizer, sentenceIds, tokenLogProbs } from '../../src/node.js';
import { type ServerContext, type Work, beginWork, shuttingDown } from './context.js';
import { ApiError } from './errors.js';
import type { ScoreBody } from './schemas.js';
import { countTokens } from './tokens.js';

const CHUNK = 128;

export interface TokenScore {
  token: string;
  /** ln p(token | everything before it), or null for an unscored first token. */
  logprob: number | null;
}

export interface TextScore {
  index: number;
  /** Sum of the token log-probs, in nats. */
  logprob: number;
  /** Tokens that were scored (the sum's terms), the end token included. */
  token_count: number;
  /** exp(-logprob / token_count); null when no token was scored. */
  perplexity: number | null;
  /** The text's tokens, then the end token (shown as '\n'). */
  tokens: TokenScore[];
}

/** Whether sentenceIds primes with a start token that is not part of the text. */
function primed(tok: Tokenizer): boolean {
  return tok.eosId !== null || tok.vocab.idOf('\n') !== undefined;
}

/**
 * The library's per-token log-probs, with a turn for the event loop between chunks and the
 * request's cancellation and deadline checked there.
 */
export async function scoreIds(
  model: RNNLM,
  seq: Int32Array,
  work: Pick<Work, 'signal' | 'deadline'>,
  onRow?: (k: number, row: Float64Array) => void,
): Promise<Float64Array> {
  const it = tokenLogProbs(model, seq, CHUNK, onRow);
  for (;;) {
    const why = work.signal.aborted ? work.signal.reason : Date.now() >= work.deadline ? 'timeout' : null;
    if (why === 'timeout') {
      throw new ApiError(504, 'Scoring took longer than the server allows; send shorter or fewer texts.', null, 'timeout', 'timeout_error');
    }
    if (why === 'shutdown') throw shuttingDown();
    if (why) throw new ApiError(499, 'the client closed the connection', null, 'client_closed');
    const r = it.next();
    if (r.done) return r.value;
    await nextTurn();
  }
}

export async function scoreHandler(ctx: ServerContext, req: FastifyRequest<{ Body: ScoreBody }>, reply: FastifyReply): Promise<unknown> {
  const { text, texts } = req.body;
  if ((text === undefined) === (texts === undefined)) {
    throw new ApiError(400, "Send exactly one of 'text' (a string) or 'texts' (an array of strings).", 'text', 'missing_required_parameter');
  }
  const all = texts ?? [text!];
  // Tokenize (and check lengths) before taking a slot: bad input costs no model time.
  const seqs = all.map((t, i) => {
    countTokens(ctx, t, texts ? `texts[${i}]` : 'text');
    return sentenceIds(ctx.tokenizer, t);
  });
  const skip = primed(ctx.tokenizer) ? 1 : 0; // a start token is not one of the text's tokens
  const work = await beginWork(ctx, reply);
  work.begin();
  const results: TextScore[] = [];
  try {
    for (const [index, seq] of seqs.entries()) {
      const lps = await scoreIds(ctx.model, seq, work);
      let total = 0;
      let count = 0;
      const tokens: TokenScore[] = [];
      for (let k = skip; k < seq.length; k++) {
        const lp = lps[k]!;
        const scored = !Number.isNaN(lp);
        if (scored) {
          total += lp;
          count++;
        }
        tokens.push({ token: ctx.tokenizer.tokenText(seq[k]!), logprob: scored ? lp : null });
      }
      ctx.metrics.scoredTokens.inc({}, count);
      results.push({ index, logprob: total, token_count: count, perplexity: count > 0 ? Math.exp(-total / count) : null, tokens });
    }
  } finally {
    work.end();
  }
  const promptTokens = seqs.reduce((s, ids) => s + ids.length - skip, 0);
  return { object: 'score', model: ctx.modelName, results, usage: { prompt_tokens: promptTokens, total_tokens: promptTokens } };
}
