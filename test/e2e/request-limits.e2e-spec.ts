import * as net from 'node:net';
import { BODY_ROUTES } from '../../src/common/body-limits';
import { bearer, startTestApp, TestApp } from '../support/test-app';

/** Everything the server sent on one raw connection, until it closed it (or `waitMs` passed). */
function exchange(
  port: number,
  steps: (socket: net.Socket) => void,
  waitMs = 20_000,
): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => steps(socket));
    let text = '';
    const done = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ text, closed });
    };
    const timer = setTimeout(() => done(false), waitMs);
    socket.on('data', (chunk) => (text += chunk.toString('utf8')));
    socket.on('close', () => done(true));
    socket.on('error', () => undefined);
  });
}
const bodyOf = (text: string) => JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4));
const portOf = (t: TestApp) => Number(new URL(t.baseUrl).port);

describe('bodies are read only for a valid key (issue 10, S2)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it.each([
    ['no key', ''],
    ['an unknown key', 'Authorization: Bearer ipl_unknownunknownunknownunknownunknown\r\n'],
  ])('with %s, answers 401 and closes without waiting for a 10 MB body', async (_case, auth) => {
    // Only 10 bytes of the announced 10 MB are ever sent: an answer proves the body was not awaited.
    const { text, closed } = await exchange(portOf(t), (socket) =>
      socket.write(
        `POST /api/v1/lessors HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nContent-Length: 10000000\r\n\r\n{"name":"x`,
      ),
    );
    expect(text).toMatch(/^HTTP\/1\.1 401 /);
    expect(text).toMatch(/\r\nConnection: close\r\n/i);
    expect(bodyOf(text).code).toBe('UNAUTHENTICATED');
    expect(closed).toBe(true);
  });

  it('with a valid key, still reads and answers the body as before', async () => {
    await t.http.post('/api/v1/lessors').set(bearer()).send({ name: 'Read after auth', rir: 'RIPE' }).expect(201);
  });
});

describe('a route can raise its own body limit and accept text (for imports)', () => {
  it('takes a larger JSON body and a CSV body on the declared route only', async () => {
    const route = {
      method: 'POST' as const,
      path: /^\/api\/v1\/regions$/,
      limitBytes: 512 * 1024,
      textTypes: ['text/csv'],
    };
    BODY_ROUTES.push(route);
    const t = await startTestApp();
    try {
      const big = { code: 'big', name: 'Big', countryCode: 'DE', notes: 'x'.repeat(300 * 1024) };
      // Read and validated (400 for the unknown field), not refused for its size.
      expect((await t.http.post('/api/v1/regions').set(bearer()).send(big)).status).toBe(400);
      expect((await t.http.post('/api/v1/lessors').set(bearer()).send(big)).status).toBe(413);
      const csv = await t.http
        .post('/api/v1/regions')
        .set(bearer())
        .set('Content-Type', 'text/csv')
        .send('code,name\n');
      expect(csv.status).not.toBe(415);
      const elsewhere = await t.http
        .post('/api/v1/lessors')
        .set(bearer())
        .set('Content-Type', 'text/csv')
        .send('a,b\n');
      expect(elsewhere.status).toBe(415);
    } finally {
      BODY_ROUTES.splice(BODY_ROUTES.indexOf(route), 1);
      await t.close();
    }
  });
});

describe('validation errors are capped and stop early (issue 10, items 6 and 10)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('refuses an object with thousands of unknown fields in one short answer', async () => {
    const body: Record<string, number> = { name: 1 };
    for (let i = 0; i < 8000; i++) body[`k${i}`] = i;
    const res = await t.http.post('/api/v1/lessors').set(bearer()).send(body).expect(400);
    expect(res.body.errors).toEqual([{ field: 'body', message: 'more than 100 fields in one object' }]);
    expect(res.text.length).toBeLessThan(1000);
  });

  it('lists at most 20 field errors and says how many more there were', async () => {
    const body: Record<string, number> = {};
    for (let i = 0; i < 60; i++) body[`unknown${i}`] = i;
    const res = await t.http.post('/api/v1/lessors').set(bearer()).send(body).expect(400);
    expect(res.body.errors).toHaveLength(20);
    expect(res.body.detail).toMatch(/^\d+ fields are invalid: .* and \d+ more \(only the first 20 are listed\)$/);
    const total = Number(/^(\d+) fields/.exec(res.body.detail)?.[1]);
    expect(total).toBeGreaterThanOrEqual(60);
    expect(res.body.detail).toContain(`and ${total - 20} more`);
  });

  it('does not repeat the field name in the detail', async () => {
    const res = await t.http.post('/api/v1/lessors').set(bearer()).send({ name: 'One', rir: 'NOPE' }).expect(400);
    expect(res.body.errors).toHaveLength(1);
    const { field } = res.body.errors[0];
    expect(res.body.detail.startsWith(`${field}: ${field} `)).toBe(false);
    expect(res.body.detail).toContain(field);
  });
});

describe('slow clients (issue 10, S7)', () => {
  it('answers 408 and closes when headers trickle in past HEADERS_TIMEOUT_SECONDS', async () => {
    const t = await startTestApp({ headersTimeoutSeconds: 1, requestTimeoutSeconds: 2 });
    try {
      let timer: NodeJS.Timeout | undefined;
      const { text, closed } = await exchange(portOf(t), (socket) => {
        socket.write('GET /health HTTP/1.1\r\nHost: x\r\n');
        let n = 0;
        timer = setInterval(() => socket.writable && socket.write(`X-Slow-${n++}: 1\r\n`), 200);
      });
      clearInterval(timer);
      expect(closed).toBe(true);
      expect(text).toMatch(/^HTTP\/1\.1 408 /);
      expect(bodyOf(text)).toMatchObject({ status: 408, code: 'REQUEST_TIMEOUT' });
    } finally {
      await t.close();
    }
  });

  it('closes a body that trickles in past REQUEST_TIMEOUT_SECONDS', async () => {
    const t = await startTestApp({ headersTimeoutSeconds: 1, requestTimeoutSeconds: 2 });
    try {
      let timer: NodeJS.Timeout | undefined;
      const { closed } = await exchange(portOf(t), (socket) => {
        socket.write(
          `POST /api/v1/lessors HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${bearer().Authorization.slice(7)}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n`,
        );
        timer = setInterval(() => socket.writable && socket.write(' '), 200);
      });
      clearInterval(timer);
      expect(closed).toBe(true);
    } finally {
      await t.close();
    }
  });

  it('closes connections beyond MAX_CONNECTIONS at once', async () => {
    const t = await startTestApp({ maxConnections: 2 });
    const open: net.Socket[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const socket = net.connect(portOf(t), '127.0.0.1');
        await new Promise((resolve) => socket.once('connect', resolve));
        open.push(socket);
      }
      const { closed, text } = await exchange(portOf(t), (socket) =>
        socket.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n'),
      );
      expect(closed).toBe(true);
      expect(text).toBe('');
    } finally {
      open.forEach((socket) => socket.destroy());
      await t.close();
    }
  });
});
