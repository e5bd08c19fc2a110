/**
 * A one-line progress display on stderr (only when stderr is a terminal, so logs and pipes stay clean).
 */
export interface Progress {
  update(done: number, total?: number): void;
  done(): void;
}

export function createProgress(label: string, unit: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  const enabled = !!stream.isTTY && process.env.CI !== 'true';
  const started = performance.now();
  let last = 0;
  let shown = false;
  const render = (done: number, total?: number) => {
    const seconds = (performance.now() - started) / 1000;
    const rate = seconds > 0 ? Math.round(done / seconds) : 0;
    let bar = '';
    if (total && total > 0) {
      const width = 24;
      const filled = Math.min(width, Math.round((done / total) * width));
      bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)} ${Math.floor((done / total) * 100)}% `;
    }
    const line = `${label} ${bar}${done.toLocaleString('en-US')}${total ? `/${total.toLocaleString('en-US')}` : ''} ${unit}  ${rate.toLocaleString('en-US')} ${unit}/s`;
    stream.write(`\r${line}\x1b[K`);
    shown = true;
  };
  return {
    update(done, total) {
      if (!enabled) return;
      const now = performance.now();
      if (now - last < 100) return;
      last = now;
      render(done, total);
    },
    done() {
      if (enabled && shown) stream.write('\r\x1b[K');
    },
  };
}
