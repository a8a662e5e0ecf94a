/** pretokenize / detokenize: splitting rules and exact round trips on typical sentences. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { detokenize, pretokenize } from './text.js';

describe('pretokenize / detokenize', () => {
  test('splits punctuation, hyphens and clitics, keeps numbers whole', () => {
    assert.deepEqual(pretokenize("A woman's hat, 3.5 m (saftig-grünes) Gras!"), [
      'A',
      'woman',
      "'s",
      'hat',
      ',',
      '3.5',
      'm',
      '(',
      'saftig',
      '@-@',
      'grünes',
      ')',
      'Gras',
      '!',
    ]);
    assert.deepEqual(pretokenize('  '), []);
  });
  test('round trips ordinary sentences', () => {
    for (const s of [
      'Ein Boston Terrier läuft über saftig-grünes Gras vor einem weißen Zaun.',
      "A boy wearing headphones sits on a woman's shoulders.",
      'Two men, one in a red shirt (and a hat), are talking: "hello" he said!',
      'It costs 1,000.50 dollars; 20% off?',
    ]) {
      assert.equal(detokenize(pretokenize(s)), s);
    }
  });
  test('capitalizes the first letter on request', () => {
    assert.equal(detokenize(['ein', 'mann', '.'], { capitalize: true }), 'Ein mann.');
    assert.equal(detokenize([], { capitalize: true }), '');
  });
});
