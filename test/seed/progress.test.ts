import assert from 'node:assert/strict';
import { formatSeconds, ProgressBar } from '../../src/seed/progress';

function fakeStream(isTTY: boolean): NodeJS.WriteStream & { text: string } {
  const stream = { isTTY, columns: 120, text: '', write(chunk: string) { stream.text += chunk; return true; } };
  return stream as unknown as NodeJS.WriteStream & { text: string };
}

describe('seed: progress bar', () => {
  it('draws done/total, rate and time left on a terminal', () => {
    const stream = fakeStream(true);
    const bar = new ProgressBar(stream, 10, 'patients');
    bar.update(5, 500, true);
    bar.finish();
    assert.match(stream.text, /^\r\[#{15}\.{15}\] 5\/10 patients {2}\d+ resources\/s {2}ETA \d+:\d\d/);
    assert.ok(stream.text.endsWith('\n'));
  });

  it('stays silent when stderr is not a terminal', () => {
    const stream = fakeStream(false);
    const bar = new ProgressBar(stream, 10, 'patients');
    bar.update(5, 500, true);
    bar.finish();
    assert.equal(stream.text, '');
  });

  it('formats seconds as m:ss', () => {
    assert.equal(formatSeconds(125.4), '2:05');
    assert.equal(formatSeconds(NaN), '--:--');
  });
});
