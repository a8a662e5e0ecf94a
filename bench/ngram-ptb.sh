#!/bin/bash
# KN3/KN5 on PTB: train time, peak memory, ARPA size and read-back perplexity (BENCHMARKS.md). Run under quiet-bench.
cd "$(dirname "$0")/.."
D=${PTB_DIR:-../shared/data/ptb}
for order in 3 5; do
  echo "=== KN$order train"
  /usr/bin/time -f "wall %e s, user %U s, max RSS %M KB" node dist/apps/cli/main.js ngram train --train $D/ptb.train.txt --order $order --out /tmp/ngram-kn$order.arpa --valid $D/ptb.test.txt
  ls -la /tmp/ngram-kn$order.arpa
  echo "=== KN$order eval (ARPA read + test ppl)"
  /usr/bin/time -f "wall %e s, user %U s, max RSS %M KB" node dist/apps/cli/main.js ngram eval --lm /tmp/ngram-kn$order.arpa --data $D/ptb.test.txt
done
echo "=== KN5 valid"
node dist/apps/cli/main.js ngram eval --lm /tmp/ngram-kn5.arpa --data $D/ptb.valid.txt
node dist/apps/cli/main.js ngram eval --lm /tmp/ngram-kn3.arpa --data $D/ptb.valid.txt
echo "=== KN5 pruned 1,1,2 (SRILM default cut-offs)"
/usr/bin/time -f "wall %e s, user %U s, max RSS %M KB" node dist/apps/cli/main.js ngram train --train $D/ptb.train.txt --order 5 --min-count 1,1,2 --out /tmp/ngram-kn5-pruned.arpa --valid $D/ptb.test.txt
ls -la /tmp/ngram-kn5-pruned.arpa
