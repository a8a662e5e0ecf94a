/**
 * POST /v1/chat/completions on a tiny (untrained) dialogue model: the whole answer equals the
 * library's beam-search response to the same conversation, a stream with a seed carries the
 * library's sampled response in OpenAI chunk shape, and bad conversations get 400s.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import '../../test/helpers/backend.js';
import { type LoadedChatModel, buildDialogueSide, parseDialogues, respond, separatorId } from '../../src/chat/index.js';
import { RNNLM } from '../../src/models/rnnlm.js';
import { Seq2Seq } from '../../src/models/seq2seq.js';
import { WordTokenizer } from '../../src/tokenizers/word.js';
import { buildServer } from './app.js';

const dialogues = parseDialogues(
  'hello , how are you ? __eou__ fine , thanks . and you ? __eou__ good . __eou__\nwhere is the bank ? __eou__ over there . __eou__\n',
);
const side = buildDialogueSide(
  dialogues.flatMap((d) => d.turns),
  { minCount: 1 },
);
const chat: LoadedChatModel = {
  model: new Seq2Seq({ srcVocabSize: side.vocabSize, tgtVocabSize: side.vocabSize, embedSize: 6, hiddenSize: 8, numLayers: 1, cell: 'lstm', seed: 5, init: 1 }),
  side,
  contextTurns: 2,
  maxContext: 30,
  separatorId: separatorId(side),
};
const lmTok = WordTokenizer.fromText('a b c\n');
const app = buildServer({
  model: new RNNLM({ vocabSize: lmTok.vocabSize, embedSize: 4, hiddenSize: 4, numLayers: 1, cell: 'lstm' }),
  tokenizer: lmTok,
  chat,
  modelName: 'tiny',
});
const messages = [
  { role: 'system', content: 'ignored' },
  { role: 'user', content: 'hello , how are you ?' },
  { role: 'assistant', content: 'fine , thanks .' },
  { role: 'user', content: 'where is the bank ?' },
];
const turns = messages.slice(1).map((m) => m.content);

describe('POST /v1/chat/completions', () => {
  test('a whole answer is the beam-search response to the conversation', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/chat/completions', payload: { messages, max_tokens: 6 } });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json() as { object: string; choices: { message: { role: string; content: string }; finish_reason: string }[] };
    assert.equal(body.object, 'chat.completion');
    assert.equal(body.choices[0]!.message.role, 'assistant');
    const [want] = respond(chat, [turns], { beam: 5, maxLen: 6, noRepeatNgram: 3 });
    assert.equal(body.choices[0]!.message.content, want!.text);
    assert.equal(body.choices[0]!.finish_reason, want!.ids.length >= 6 ? 'length' : 'stop');
  });

  test('a stream carries the sampled response in chat.completion.chunk events', async () => {
    const payload = { messages, max_tokens: 8, temperature: 1, top_p: 0.95, seed: 11, stream: true };
    const res = await app.inject({ method: 'POST', url: '/v1/chat/completions', payload });
    assert.equal(res.statusCode, 200, res.body);
    assert.match(String(res.headers['content-type']), /text\/event-stream/);
    const events = res.body.split('\n\n').filter((e) => e.startsWith('data: '));
    assert.equal(events.at(-1), 'data: [DONE]');
    const chunks = events
      .slice(0, -1)
      .map((e) => JSON.parse(e.slice(6)) as { object: string; choices: { delta: { role?: string; content?: string }; finish_reason: string | null }[] });
    assert.ok(chunks.every((c) => c.object === 'chat.completion.chunk'));
    assert.equal(chunks[0]!.choices[0]!.delta.role, 'assistant');
    assert.ok(chunks.at(-1)!.choices[0]!.finish_reason !== null);
    const text = chunks.map((c) => c.choices[0]!.delta.content ?? '').join('');
    const [want] = respond(chat, [turns], { maxLen: 8, noRepeatNgram: 3, sample: { temperature: 1, topP: 0.95, topK: 0, seed: 11 } });
    assert.equal(text, want!.text);
    assert.ok(chunks.length >= 2 + Math.min(1, want!.ids.length));
  });

  test('bad conversations are 400s that say what is wrong', async () => {
    const bad = async (payload: unknown, re: RegExp): Promise<void> => {
      const res = await app.inject({ method: 'POST', url: '/v1/chat/completions', payload: payload as object });
      assert.equal(res.statusCode, 400, res.body);
      assert.match((res.json() as { error: { message: string } }).error.message, re);
    };
    await bad({ messages: [{ role: 'system', content: 'x' }] }, /at least one "user" message/);
    await bad({ messages: [{ role: 'user', content: '  ' }] }, /message is empty/);
    await bad({ messages: [{ role: 'robot', content: 'hi' }] }, /role/);
    await bad({ messages: [] }, /messages/);
  });
});
