import { expect } from 'chai';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { REDACTED, REDACT_PATHS, isSecretKey, loggerOptions, redact, redactString } from '@hyprbox/crds';

const TOKEN = 'hbx_' + 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8S9t0-_x';

describe('secret redaction', () => {
  it('replaces values of secret-looking keys, deep in objects and arrays, and copies', () => {
    const input = {
      user: 'ana',
      password: 'hunter2',
      nested: {
        list: [{ api_key: 'k1', name: 'a' }, { 'private-key': { pem: '...' } }, 'plain'],
        deeper: { db: { DB_PASSWORD: 'x', 'client.secret': 's', accessToken: 't', apiKey: 'k', pass: 'p' } },
      },
      headers: { authorization: 'Basic dXNlcjpwYXNz', 'set-cookie': ['a=b'] },
      credentials: { user: 'u' },
      empty: null,
      token: undefined,
    };
    const before = structuredClone(input);
    const out = redact(input);
    expect(input).to.deep.equal(before, 'input untouched');
    expect(out).to.deep.equal({
      user: 'ana',
      password: REDACTED,
      nested: {
        list: [{ api_key: REDACTED, name: 'a' }, { 'private-key': REDACTED }, 'plain'],
        deeper: { db: { DB_PASSWORD: REDACTED, 'client.secret': REDACTED, accessToken: REDACTED, apiKey: REDACTED, pass: REDACTED } },
      },
      headers: { authorization: REDACTED, 'set-cookie': REDACTED },
      credentials: REDACTED,
      empty: null,
      token: undefined,
    });
  });

  it('leaves keys that only contain a secret word alone', () => {
    const input = { tokenPrefix: 'hbx_abcd', sha256: 'ab', passwordAuthentication: 'no', secretParams: ['DB_PASSWORD'], tokenHash: 'x' };
    expect(redact(input)).to.deep.equal(input);
    for (const k of ['token', 'x-token', 'my_secret', 'a.password', 'API-KEY', 'privateKey', 'Authorization', 'bearerToken']) {
      expect(isSecretKey(k), k).to.equal(true);
    }
    for (const k of ['tokens_total', 'secretParams', 'passport', 'name', 'keyring']) {
      expect(isSecretKey(k), k).to.equal(false);
    }
  });

  it('redacts exact extra keys given in secretKeys (a preset’s secretParams)', () => {
    const run = { spec: { params: { DB_URL: 'env:DB_URL', PORT: 5432, ADMIN_PW: 'file:/etc/pw' } } };
    expect(redact(run, { secretKeys: ['DB_URL', 'ADMIN_PW'] }).spec.params).to.deep.equal({
      DB_URL: REDACTED,
      PORT: 5432,
      ADMIN_PW: REDACTED,
    });
    expect(redact(run, { secretKeys: ['db_url'] }).spec.params.DB_URL).to.equal('env:DB_URL');
  });

  it('redacts tokens inside strings wherever they appear', () => {
    expect(redactString(`token ${TOKEN} refused`)).to.equal(`token ${REDACTED} refused`);
    expect(redactString(`x${TOKEN}y`)).to.equal(`x${REDACTED}`);
    expect(redactString('Authorization: Bearer abc.def-ghi_jkl~m+n/o== ok')).to.equal(`Authorization: Bearer ${REDACTED} ok`);
    expect(redactString('bearer xyz')).to.equal(`bearer ${REDACTED}`);
    expect(redactString('GET /apis?watch=1&access_token=abc123&x=1')).to.equal(`GET /apis?watch=1&access_token=${REDACTED}&x=1`);
    expect(redactString('DB_PASSWORD=s3cret ./run.sh')).to.equal(`DB_PASSWORD=${REDACTED} ./run.sh`);
    expect(redactString('dial postgres://app:s3cret@db:5432/x')).to.equal(`dial postgres://app:${REDACTED}@db:5432/x`);
    expect(redactString('{"user":"a","db_password" : "p\\"w","n":1}')).to.equal(`{"user":"a","db_password" : "${REDACTED}","n":1}`);
    expect(redactString('hbx_short and hbx_ stay')).to.equal('hbx_short and hbx_ stay');
    expect(redact({ msg: `failed with ${TOKEN}`, list: [`Bearer ${TOKEN}`] })).to.deep.equal({
      msg: `failed with ${REDACTED}`,
      list: [`Bearer ${REDACTED}`],
    });
  });

  it('takes linear time on hostile strings', () => {
    const hostile = ['a-'.repeat(500_000), 'password'.repeat(125_000), '://a:'.repeat(200_000), 'Bearer '.repeat(140_000), 'hbx_'.repeat(250_000)];
    const start = Date.now();
    for (const s of hostile) redactString(s);
    expect(Date.now() - start).to.be.below(1000);
  });

  it('copies errors with their prototype, redacting message, stack, cause and own fields', () => {
    const cause = new Error(`inner ${TOKEN}`);
    const err = Object.assign(new TypeError(`outer ${TOKEN}`, { cause }), { code: 'E', config: { headers: { Authorization: 'x' } } });
    const out = redact(err);
    expect(out).to.be.instanceOf(TypeError);
    expect(out.message).to.equal(`outer ${REDACTED}`);
    expect(out.stack).to.not.include(TOKEN);
    expect((out.cause as Error).message).to.equal(`inner ${REDACTED}`);
    expect(out.code).to.equal('E');
    expect(out.config.headers.Authorization).to.equal(REDACTED);
    expect(Object.keys(out)).to.deep.equal(['code', 'config']);
    expect(err.message).to.include(TOKEN);
  });

  it('handles cycles, maps, sets, null-prototype objects and leaves other objects as they are', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    const out = redact(a) as Record<string, unknown>;
    expect(out.self).to.equal('[Circular]');
    const shared = { password: 'p' };
    const both = redact({ x: shared, y: shared });
    expect(both.x).to.deep.equal({ password: REDACTED });
    expect(both.y).to.equal(both.x);
    expect(redact(new Map([['token', 't'], ['k', 'v']]))).to.deep.equal(new Map([['token', REDACTED], ['k', 'v']]));
    expect(redact(new Set([`Bearer x`]))).to.deep.equal(new Set([`Bearer ${REDACTED}`]));
    const nullProto = Object.assign(Object.create(null) as Record<string, unknown>, { authorization: 'Bearer x' });
    expect(redact(nullProto).authorization).to.equal(REDACTED);
    const d = new Date(0);
    expect(redact({ d }).d).to.equal(d);
    const proto = JSON.parse('{"__proto__": {"password": "p"}}') as Record<string, unknown>;
    const cleaned = redact(proto);
    expect(Object.getOwnPropertyDescriptor(cleaned, '__proto__')?.value).to.deep.equal({ password: REDACTED });
    expect(Object.getPrototypeOf(cleaned)).to.equal(Object.prototype);
  });

  it('REDACT_PATHS are valid pino redact paths', () => {
    expect(REDACT_PATHS).to.include('req.headers.authorization');
    expect(REDACT_PATHS).to.include('*.password');
    expect(() => pino({ redact: REDACT_PATHS }, { write() {} })).to.not.throw();
  });

  describe('a logger built from loggerOptions', () => {
    function capture(level: 'info' | 'debug' = 'info'): { log: Logger; text: () => string } {
      const lines: string[] = [];
      const log = pino(loggerOptions(level), { write: (s: string) => void lines.push(s) });
      return { log, text: () => lines.join('') };
    }

    it('never writes a token or password, whatever the shape of the call', () => {
      const { log, text } = capture('debug');
      const child = log.child({ token: TOKEN, component: 'x', conn: { auth: { password: 'pw-child' } } });
      log.info({ password: 'pw-top', user: { password: 'pw-1' }, a: { b: { c: { secret: 'pw-deep' } } } }, 'login');
      log.info({ req: { method: 'GET', url: `/x?token=${TOKEN}`, headers: { authorization: `Bearer ${TOKEN}` } } }, 'request');
      log.warn(`refused ${TOKEN} from 10.0.0.1`);
      log.warn('refused %s with %o', TOKEN, { password: 'pw-fmt', list: [{ apiKey: 'pw-list' }] });
      log.error(new Error(`cannot use ${TOKEN}`), 'failed');
      log.error({ err: Object.assign(new Error('x'), { password: 'pw-err' }) });
      log.debug({ body: JSON.stringify({ token: TOKEN, db: { password: 'pw-body' } }) }, 'raw body');
      log.info({ run: { spec: { params: { PASSWORD: 'pw-param' } } } }, 'queued');
      log.info('dsn postgres://u:pw-url@db/x');
      child.info({ resource: 'runs' }, 'child line');
      const out = text();
      expect(out).to.not.include('hbx_A1b2');
      for (const pw of ['pw-top', 'pw-1', 'pw-deep', 'pw-child', 'pw-fmt', 'pw-list', 'pw-err', 'pw-param', 'pw-url', 'pw-body']) {
        expect(out).to.not.include(pw);
      }
      expect(out).to.include(REDACTED);
      // Still useful: non-secret fields survive.
      const lines = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines).to.have.length(10);
      expect(lines[0]).to.include({ msg: 'login', password: REDACTED });
      expect((lines[1]!.req as { method: string }).method).to.equal('GET');
      expect(lines[4]!.err).to.include({ type: 'Error' });
      expect(lines[9]).to.include({ msg: 'child line', resource: 'runs', component: 'x', token: REDACTED });
    });

    it('respects the level', () => {
      const { log, text } = capture('info');
      log.debug('hidden');
      expect(text()).to.equal('');
    });
  });
});
