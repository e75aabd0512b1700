import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { startSmtpServer, type LabSmtpServer } from '../../src/lab/smtp-server.js';
import { ReplyParser, type SmtpReply } from '../../src/smtp/reply-parser.js';

/** Sends `input` to the server and collects replies until the server closes or `maxReplies` arrived. */
async function converse(server: LabSmtpServer, input: Buffer | string, maxReplies: number): Promise<{ replies: SmtpReply[]; closed: boolean }> {
  const socket = connect({ host: server.host, port: server.port });
  const parser = new ReplyParser();
  const replies: SmtpReply[] = [];
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out with ${JSON.stringify(replies)}`)), 2000);
      const done = (closed: boolean) => {
        clearTimeout(timer);
        resolve({ replies, closed });
      };
      socket.on('error', () => undefined);
      socket.on('close', () => done(true));
      socket.on('data', (chunk: Buffer) => {
        replies.push(...parser.push(chunk));
        if (replies.length >= maxReplies) done(false);
      });
      socket.once('connect', () => socket.write(input));
    });
  } finally {
    socket.destroy();
  }
}

async function withServer<T>(fn: (server: LabSmtpServer) => Promise<T>, extra: { greetingCode?: number } = {}): Promise<T> {
  const server = await startSmtpServer({ hostname: 'lab.test', starttls: false, ...extra });
  try {
    return await fn(server);
  } finally {
    await server.close();
  }
}

describe('lab SMTP server', () => {
  it('answers the commands a probe uses, refuses MAIL, and closes on QUIT', async () => {
    await withServer(async (server) => {
      // Given a session, When the usual commands are sent
      const { replies, closed } = await converse(server, 'EHLO me\r\nNOOP\r\nRSET\r\nMAIL FROM:<a@b.test>\r\nSTARTTLS\r\nHELO me\r\nQUIT\r\n', 99);
      // Then each gets its reply, MAIL and STARTTLS (not offered) are refused, and QUIT ends the session
      assert.deepEqual(
        replies.map((r) => r.code),
        [220, 250, 250, 250, 502, 502, 250, 221],
      );
      assert.deepEqual(replies[1]?.lines, ['lab.test greets me', 'PIPELINING', 'SIZE 10240000', '8BITMIME', 'ENHANCEDSTATUSCODES']);
      assert.equal(closed, true);
      assert.equal(server.sessions, 1);
    });
  });

  it('survives garbage: binary bytes and an endless line', async () => {
    await withServer(async (server) => {
      // Given binary junk, and then 10 KB without a line end
      const junk = Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 37) % 256));
      const first = await converse(server, Buffer.concat([junk, Buffer.from('\r\nQUIT\r\n')]), 99);
      const second = await converse(server, 'X'.repeat(10_000), 99);
      // Then the server answers what it can, drops the endless line with 500, and keeps serving
      assert.equal(first.replies[0]?.code, 220);
      assert.ok(first.replies.slice(1, -1).every((r) => r.code === 502));
      assert.equal(first.replies.at(-1)?.code, 221);
      assert.deepEqual(second.replies.map((r) => r.code), [220, 500]);
      assert.equal(second.closed, true);
      const third = await converse(server, 'NOOP\r\n', 2);
      assert.deepEqual(third.replies.map((r) => r.code), [220, 250]);
    });
  });

  it('refuses service after a 554 greeting but accepts QUIT', async () => {
    await withServer(
      async (server) => {
        const { replies } = await converse(server, 'EHLO me\r\nQUIT\r\n', 99);
        assert.deepEqual(replies.map((r) => r.code), [554, 503, 221]);
      },
      { greetingCode: 554 },
    );
  });

  it('closes open sessions on close()', async () => {
    const server = await startSmtpServer({ hostname: 'lab.test', starttls: false });
    const socket = connect({ host: server.host, port: server.port });
    socket.on('error', () => undefined);
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    await new Promise<void>((resolve) => socket.once('data', () => resolve()));
    await server.close();
    await closed;
  });
});
