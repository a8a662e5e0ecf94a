/**
 * Training progress for humans: a cli-progress bar with loss, tokens/s and ETA on a TTY,
 * and a plain line every few seconds otherwise (CI logs, pipes).
 */
import cliProgress from 'cli-progress';
import type { StepInfo } from '../../src/node.js';

export interface Progress {
  step(s: StepInfo): void;
  stop(): void;
}

export function createProgress(opts: { enabled: boolean; label?: string; stream?: NodeJS.WriteStream }): Progress {
  const stream = opts.stream ?? process.stderr;
  if (!opts.enabled) return { step() {}, stop() {} };
  if (!stream.isTTY) {
    let last = 0;
    return {
      step(s) {
        const now = Date.now();
        if (now - last < 5000 && s.batch !== s.batches) return;
        last = now;
        stream.write(
          `epoch ${s.epoch} ${s.batch}/${s.batches} loss ${s.loss.toFixed(4)} lr ${s.lr.toPrecision(3)} ` +
            `${Math.round(s.tokensPerSecond)} tok/s ${s.elapsedSeconds.toFixed(0)}s\n`,
        );
      },
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: `${opts.label ?? 'train'} epoch {epoch} |{bar}| {value}/{total} | loss {loss} | {tps} tok/s | ETA {eta_formatted}`,
      hideCursor: true,
      etaBuffer: 50,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  let epoch = -1;
  return {
    step(s) {
      const payload = { epoch: s.epoch, loss: s.loss.toFixed(4), tps: Math.round(s.tokensPerSecond) };
      if (s.epoch !== epoch) {
        if (epoch !== -1) bar.stop();
        epoch = s.epoch;
        bar.start(s.batches, s.batch, payload);
      } else bar.update(s.batch, payload);
    },
    stop() {
      if (epoch !== -1) bar.stop();
    },
  };
}
