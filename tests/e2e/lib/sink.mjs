// Postfix's smtp-sink for the end-to-end tests (not a test file itself): a real SMTP peer on a
// free loopback port, writing one dump file per message into its own directory.
//
//   const s = await startSink(tmpDir, ['-r', 'rcpt']);   // extra smtp-sink options
//   ... s.url ...; dumps(s.dir); rcpts(s.dir); await s.stop();
//   const again = await startSink(tmpDir, [], s.port);   // a new sink on the same port
//
// smtp-sink drops to `nobody` when started as root, so the directory above the dump
// directory must be searchable (0755) and the dump directory writable by anyone. Every sink
// started here is killed when the test process exits (helpers.track).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, chmodSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { track, untrack } from './helpers.mjs';

export const SINK = '/usr/sbin/smtp-sink';
/** A node:test `skip` value: false, or why smtp-sink cannot be used. */
export const noSink = !existsSync(SINK) && 'Postfix smtp-sink is not installed (make deps installs it)';


export function freePort() {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export function canConnect(port) {
  return new Promise((r) => {
    const c = net.connect(port, '127.0.0.1', () => {
      c.destroy();
      r(true);
    });
    c.on('error', () => r(false));
  });
}

export async function startSink(baseDir, extra = [], port = null) {
  chmodSync(baseDir, 0o755);
  port = port ?? (await freePort());
  const dir = path.join(baseDir, `sink-${port}-${Date.now()}`);
  mkdirSync(dir);
  chmodSync(dir, 0o777);
  const proc = spawn(SINK, ['-u', 'nobody', ...extra, '-d', `${dir}/%M.`, `127.0.0.1:${port}`, '100'], { stdio: 'ignore' });
  track(proc);
  const exited = new Promise((r) => proc.on('exit', (code, signal) => r({ code, signal })));
  for (let i = 0; i < 300 && !(await canConnect(port)); i++) {
    await new Promise((r) => setTimeout(r, 30));
  }
  const stop = async () => {
    proc.kill('SIGKILL');
    await exited;
    untrack(proc);
  };
  return { port, dir, url: `smtp://127.0.0.1:${port}`, proc, exited, stop, kill: stop };
}

/** The messages a sink wrote, as text. */
export function dumps(dir) {
  return readdirSync(dir).map((f) => readFileSync(path.join(dir, f), 'utf8'));
}

/** The recipient of a dumped message, lower case. */
export function rcptOf(text) {
  const m = /X-Rcpt-Args: <([^>]*)>/.exec(text);
  if (!m) throw new Error('a dumped message without X-Rcpt-Args');
  return m[1].toLowerCase();
}

/** The recipients of every message in a sink's directory, one entry per message. */
export function rcpts(dir) {
  return dumps(dir).map(rcptOf);
}
