// hyprbox audit against a real controller: filters (--since, --user, --verb, --kind, --limit), the table,
// RFC 4180 CSV (quoted, formula-safe, parsed back here), -o json and --json, and its errors.
import { expect } from 'chai';
import { send, startTestController } from '../lib/controller.js';
import type { TestController } from '../lib/controller.js';
import { until } from '../lib/wait.js';
import { as, expectExit, ok, userWithRole } from './cli-access-helpers.js';

interface Event {
  time: string;
  user?: { name: string };
  verb: string;
  resource: string;
  name?: string;
  code: number;
  userAgent?: string;
}

/** RFC 4180 records (CRLF line ends, quoted fields with doubled quotes), to read the CSV back strictly. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let i = 0;
  while (i < text.length) {
    let field = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw new Error('unterminated quoted field');
        if (text[i] === '"' && text[i + 1] === '"') {
          field += '"';
          i += 2;
        } else if (text[i] === '"') {
          i++;
          break;
        } else field += text[i++];
      }
    } else {
      while (i < text.length && text[i] !== ',' && text[i] !== '\r') {
        if (text[i] === '"' || text[i] === '\n') throw new Error(`bare ${JSON.stringify(text[i])} in an unquoted field at ${i}`);
        field += text[i++];
      }
    }
    row.push(field);
    if (text[i] === ',') i++;
    else if (text.startsWith('\r\n', i)) {
      rows.push(row);
      row = [];
      i += 2;
    } else if (i < text.length) throw new Error(`unexpected ${JSON.stringify(text[i])} at ${i}`);
  }
  if (row.length) rows.push(row);
  return rows;
}

describe('hyprbox audit', function () {
  this.timeout(120_000);
  let c: TestController;
  let viewer: string;
  const UA = '=HYPERLINK("http://x"),evil agent';
  const audit = async (): Promise<Event[]> => (await c.json<{ items: Event[] }>('GET', '/apis/hyprbox.io/v1alpha1/auditevents')).body.items;

  before(async () => {
    c = await startTestController('sqlite');
    viewer = await userWithRole(c, 'vera', 'viewer');
    await ok(c, ['user', 'create', 'ana']);
    await expectExit(c, 4, ['user', 'create', 'mallory'], as(viewer));
    // An unauthenticated request with a hostile User-Agent: audited (401) with the header as sent.
    const h = new Headers({ Authorization: 'Bearer hbx_nosuchname1_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'User-Agent': UA });
    expect((await send(`${c.url}/apis/hyprbox.io/v1alpha1/users`, 'GET', h, undefined, c.controller.caCert)).status).to.equal(401);
    await until('the audit events to be stored', async () => {
      const ev = await audit();
      return ev.some((e) => e.user?.name === 'vera' && e.code === 403) && ev.some((e) => e.code === 401) && ev.some((e) => e.resource === 'users' && e.code === 201);
    }, 20_000);
  });
  after(async () => c?.stop());

  it('prints a table, oldest first, with who did what and the result', async () => {
    const r = await ok(c, ['audit']);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).to.match(/^TIME\s+USER\s+VERB\s+RESOURCE\s+NAMESPACE\s+NAME\s+CODE\s+REASON$/);
    expect(r.stdout).to.match(/^\S+Z\s+vera\s+create\s+users\s+.*403/m);
    expect(r.stdout).to.match(/\(anonymous\)\s+list\s+users\s+.*401/);
    const times = lines.slice(1).map((l) => Date.parse(l.split(/\s+/)[0]!));
    expect(times).to.deep.equal([...times].sort((a, b) => a - b));
  });

  it('filters by --user, --verb and --kind (any kind name), and --limit keeps the newest', async () => {
    const get = async (args: string[]): Promise<Event[]> => JSON.parse((await ok(c, ['audit', ...args, '--json'])).stdout) as Event[];
    const vera = await get(['--user', 'vera']);
    expect(vera.length).to.be.greaterThan(0);
    expect(vera.every((e) => e.user?.name === 'vera')).to.equal(true);
    const creates = await get(['--verb', 'create', '--kind', 'usr']);
    expect(creates.length).to.be.at.least(3); // vera, ana, mallory (refused)
    expect(creates.every((e) => e.verb === 'create' && e.resource === 'users')).to.equal(true);
    const all = await get([]);
    const last2 = await get(['--limit', '2']);
    expect(last2).to.deep.equal(all.slice(-2));
  });

  it('--since takes a duration or an RFC 3339 time', async () => {
    expect(JSON.parse((await ok(c, ['audit', '--since', '1h', '--json'])).stdout)).to.have.length.greaterThan(3);
    const future = new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z');
    expect(JSON.parse((await ok(c, ['audit', '--since', future, '--json'])).stdout)).to.deep.equal([]);
    const none = await ok(c, ['audit', '--since', future]);
    expect(none.stdout).to.equal('');
    expect(none.stderr).to.match(/No audit events match/);
  });

  it('-o csv is RFC 4180: CRLF, quoted where needed, formula-looking fields defused', async () => {
    const r = await ok(c, ['audit', '-o', 'csv']);
    expect(r.stdout.endsWith('\r\n')).to.equal(true);
    const rows = parseCsv(r.stdout);
    const header = rows[0]!;
    expect(header).to.deep.equal(['time', 'user', 'userKind', 'node', 'verb', 'resource', 'subresource', 'namespace', 'name', 'path', 'code', 'reason', 'sourceAddress', 'userAgent', 'requestId']);
    expect(rows.slice(1).every((row) => row.length === header.length)).to.equal(true);
    const ua = rows.find((row) => row[10] === '401')![header.indexOf('userAgent')];
    expect(ua).to.equal(`'${UA}`);
    expect(r.stdout).to.include(`"'=HYPERLINK(""http://x""),evil agent"`);
    expect(rows.slice(1).map((row) => row[0])).to.deep.equal((JSON.parse((await ok(c, ['audit', '--json'])).stdout) as Event[]).map((e) => e.time));
  });

  it('-o json prints the events; --json gives the same list', async () => {
    const o = JSON.parse((await ok(c, ['audit', '-o', 'json', '--kind', 'users'])).stdout) as Event[];
    const j = JSON.parse((await ok(c, ['audit', '--json', '--kind', 'users'])).stdout) as Event[];
    expect(o.length).to.be.greaterThan(0);
    expect(o).to.deep.equal(j);
  });

  it('bad flags are exit 2 naming the flag; a viewer is refused with exit 4', async () => {
    expect((await expectExit(c, 2, ['audit', '--since', 'yesterday'])).stderr).to.match(/--since: "yesterday" is neither a duration/);
    expect((await expectExit(c, 2, ['audit', '--kind', 'usres'])).stderr).to.match(/unknown kind "usres"; did you mean "users"\?/);
    expect((await expectExit(c, 2, ['audit', '-o', 'xml'])).stderr).to.match(/--output: must be one of table, csv, json/);
    expect((await expectExit(c, 2, ['audit', '--limit', '0'])).stderr).to.match(/limit/);
    const v = await expectExit(c, 4, ['audit', '--json'], as(viewer));
    expect(JSON.parse(v.stdout).error).to.include({ exitCode: 4, status: 403 });
  });
});
