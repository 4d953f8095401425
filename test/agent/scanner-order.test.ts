// Overlapping scans: a slow scan that read a file before it changed must not overwrite the answer of a scan
// started after the change (a run's re-probe finishing after the re-probe of a file the test then removed).
import { expect } from 'chai';
import { pino } from 'pino';
import { Scanner } from '@hyprbox/agent/scanner';
import { createHostAccess } from '@hyprbox/agent/probes/host';
import type { Probe, ProbeResult } from '@hyprbox/agent/probes/types';
import { ok } from '@hyprbox/agent/probes/types';

/** A probe whose answers the test releases one by one, in any order. */
function gatedProbe(): { probe: Probe; release: (i: number, value: string) => void } {
  const gates: Array<(r: ProbeResult) => void> = [];
  const probe: Probe = {
    name: 'gate',
    watches: async () => [],
    collect: () => new Promise<ProbeResult>((resolve) => gates.push(resolve)),
  };
  return { probe, release: (i, value) => gates[i]!({ 'gate.value': ok(value) }) };
}

describe('agent scanner: overlapping scans', () => {
  it('keeps the answer of the newest-started scan of a probe, whatever order they finish in', async () => {
    const { probe, release } = gatedProbe();
    let changes = 0;
    const scanner = new Scanner([probe], createHostAccess('/'), { scanMs: 3_600_000, log: pino({ level: 'silent' }), onChange: () => changes++ });
    const older = scanner.scan([probe]);
    const newer = scanner.scan([probe]);
    release(1, 'yes');
    await newer;
    expect(scanner.latest['gate.value']).to.deep.equal(ok('yes'));
    release(0, 'no');
    await older;
    expect(scanner.latest['gate.value'], 'the older scan finished last but read first').to.deep.equal(ok('yes'));
    expect(changes).to.equal(1);
    const third = scanner.scan([probe]);
    release(2, 'no');
    await third;
    expect(scanner.latest['gate.value']).to.deep.equal(ok('no'));
  });
});
