/**
 * StopFilter against an oracle on the whole text: however the text is cut into pieces, the
 * emitted text is everything before the first stop sequence (all of it when there is none),
 * and no emitted piece ever contains part of a stop sequence that later completes.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { StopFilter } from './stop.js';

/** Runs the filter over `pieces`; returns the concatenated output, whether it stopped and the emits. */
function run(stops: string[], pieces: string[]): { text: string; stopped: boolean; emits: string[] } {
  const f = new StopFilter(stops);
  const emits: string[] = [];
  for (const p of pieces) {
    const r = f.push(p);
    emits.push(r.emit);
    if (r.stopped) return { text: emits.join(''), stopped: true, emits };
  }
  emits.push(f.flush());
  return { text: emits.join(''), stopped: false, emits };
}

/** The oracle: text before the earliest occurrence of any stop sequence. */
function expected(text: string, stops: string[]): { text: string; stopped: boolean } {
  const hits = stops.map((s) => text.indexOf(s)).filter((i) => i >= 0);
  return hits.length ? { text: text.slice(0, Math.min(...hits)), stopped: true } : { text, stopped: false };
}

/** Every way to cut `text` into pieces at the positions given by the bits of `mask`. */
function cuts(text: string, mask: number): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 1; i < text.length; i++) {
    if (mask & (1 << (i - 1))) {
      out.push(text.slice(start, i));
      start = i;
    }
  }
  out.push(text.slice(start));
  return out;
}

describe('StopFilter', () => {
  const cases: [string, string[]][] = [
    ['hello world', ['o w']],
    ['hello world', ['xyz']],
    ['hello world', []],
    ['aaab', ['aab']], // a prefix that restarts inside itself
    ['abcabd', ['abd', 'ca']], // the earliest occurrence wins, whichever stop it is
    ['the end.\n\nnext', ['\n\n']],
    ['abab', ['b', 'ab']],
    ['xyz', ['xyz']], // the whole text is the stop: nothing is emitted
  ];
  for (const [text, stops] of cases) {
    test(`${JSON.stringify(text)} with ${JSON.stringify(stops)}: every split gives the oracle's text`, () => {
      const want = expected(text, stops);
      for (let mask = 0; mask < 1 << (text.length - 1); mask++) {
        const got = run(stops, cuts(text, mask));
        assert.equal(got.text, want.text, `pieces ${JSON.stringify(cuts(text, mask))}`);
        assert.equal(got.stopped, want.stopped);
      }
    });
  }

  test('text that may start a stop sequence is held back until decided', () => {
    const f = new StopFilter(['END']);
    assert.deepEqual(f.push('abc E'), { emit: 'abc ', stopped: false });
    assert.deepEqual(f.push('N'), { emit: '', stopped: false });
    assert.deepEqual(f.push('x'), { emit: 'ENx', stopped: false });
    assert.deepEqual(f.push('E'), { emit: '', stopped: false });
    assert.equal(f.flush(), 'E');
  });
});
