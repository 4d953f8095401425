// The agent's LogShipper: bounded memory under an output flood, chunks the controller accepts, a marker where
// output was dropped, retries while the controller is unreachable, and a marker for what it refused.
import { expect } from 'chai';
import { pino } from 'pino';
import { Backoff } from '@hyprbox/agent/backoff';
import { CHUNK_BYTES, LogShipper } from '@hyprbox/agent/runner/log-shipper';
import { until } from '../lib/wait.js';

const quiet = pino({ level: 'silent' });
const fast = (): Backoff => new Backoff(5, 20);
const fail = (code: number | undefined): Error => Object.assign(new Error(code ? `HTTP-Code: ${code}` : 'connect ECONNREFUSED'), code ? { code } : { code: 'ECONNREFUSED' });

describe('agent log shipper', () => {
  it('keeps the header, the head and the tail of a flood, says how much it dropped, and sends chunks of at most 1 MiB', async () => {
    const sent: string[] = [];
    const s = new LogShipper(async (t) => void sent.push(t), quiet, 'r', fast());
    s.section('--- apply ---\n');
    s.write('first-line\n');
    const line = `${'y'.repeat(99)}\n`;
    // 30 MB, sent as it comes (as every second): the head streams, the rest is a tail sent when the step ends.
    for (let i = 0; i < 300_000; i++) {
      s.write(line);
      if (i % 30_000 === 0) await s.flush();
    }
    s.write('last-line-of-apply\n');
    s.section('--- verify ---\n');
    s.write('verify-line\n');
    await s.close();
    const text = sent.join('');
    expect(sent.every((c) => Buffer.byteLength(c) <= CHUNK_BYTES)).to.equal(true);
    expect(text.startsWith('--- apply ---\nfirst-line\n')).to.equal(true);
    expect(text).to.match(/\n\[\.\.\. \d+ bytes of output dropped \.\.\.\]\n/);
    expect(text).to.contain('last-line-of-apply\n--- verify ---\nverify-line\n');
    expect(text.length).to.be.below(1024 * 1024 + 200);
    // Every byte is either in the log or counted in the marker.
    const marker = /\n\[\.\.\. (\d+) bytes of output dropped \.\.\.\]\n/.exec(text)!;
    expect(Buffer.byteLength(text) - marker[0].length + Number(marker[1])).to.equal(s.bytes + '--- apply ---\n--- verify ---\n'.length);
    expect(s.bytes).to.equal('first-line\n'.length + 300_000 * 100 + 'last-line-of-apply\n'.length + 'verify-line\n'.length);
  });

  it('retries while the controller is unreachable, and replaces what it refuses (413) with a marker', async () => {
    const sent: string[] = [];
    let down = 3;
    let refuse = true;
    const s = new LogShipper(async (t) => {
      if (down-- > 0) throw fail(undefined);
      if (refuse && t.includes('too-big')) {
        refuse = false;
        throw fail(413);
      }
      sent.push(t);
    }, quiet, 'r', fast());
    s.section('--- apply ---\n');
    s.write('during-outage\n');
    await s.flush();
    expect(sent.join('')).to.equal('--- apply ---\nduring-outage\n');
    s.write('too-big\n');
    await s.flush();
    s.write('after\n');
    await s.close();
    expect(sent.join('')).to.equal('--- apply ---\nduring-outage\n\n[... 8 bytes of output dropped ...]\nafter\n');
  });

  it('sends at least every second without being asked', async () => {
    const sent: string[] = [];
    const s = new LogShipper(async (t) => void sent.push(t), quiet, 'r', fast());
    s.write('tick\n');
    await until('the timer to send', () => sent.length === 1, 3000);
    expect(sent).to.deep.equal(['tick\n']);
  });
});
