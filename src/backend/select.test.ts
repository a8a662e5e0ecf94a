import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BF16_MODES, type Backend, registerBackend, setBackend } from './backend.js';
import { jsBackend } from './js/index.js';
import { describePrecision } from './select.js';

test('describePrecision names how bf16 runs on the active backend, for every bf16 mode', () => {
  // This test file runs in its own process: a stand-in "native" backend changes nothing else.
  const want = { emulated: /emulated on the native backend/, vdpbf16ps: /AVX-512 BF16 vdpbf16ps/, amx: /Intel AMX tiles/ };
  for (const mode of BF16_MODES) {
    const fake: Backend = { ...jsBackend, name: 'native', description: 'stand-in', bf16: mode };
    registerBackend(fake);
    setBackend('native');
    assert.match(describePrecision('bf16'), want[mode]);
    assert.equal(describePrecision('fp32'), 'fp32');
  }
});
