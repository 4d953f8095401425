// The preset catalog is synced into the API when the controller starts.
import { expect } from 'chai';
import { startTestController } from '../lib/controller.js';
import { repoPath } from '../lib/paths.js';

describe('preset catalog at controller start', function () {
  this.timeout(60_000);
  it('syncs the catalog directory into Presets, labelled as catalog presets', async () => {
    const c = await startTestController('sqlite', ['--tls', 'off', '--presets-dir', repoPath('test/fixtures/presets')]);
    try {
      const res = await c.api('/apis/hyprbox.io/v1alpha1/presets?labelSelector=hyprbox.io%2Fcatalog%3Dtrue');
      const list = (await res.json()) as { items: Array<{ metadata: { name: string }; spec: { risk: string } }> };
      expect(list.items.map((p) => [p.metadata.name, p.spec.risk])).to.deep.equal([['danger-demo', 'DANGEROUS'], ['file-mode', 'CONFIRM'], ['motd', 'SAFE']]);
    } finally {
      await c.stop();
    }
  });
});
