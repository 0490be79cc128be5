// Child process for test/channels/file-crash.test.ts: drives a file channel (compiled dist/) and
// reports every step on stdout with synchronous writes, so a line the parent read was written
// before the kill:  "p a b" = about to commit puts a..b, "P a b" = that commit returned;
// "t ids" = about to commit takes of ids, "T ids" = that commit returned; "D ids" = drained.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const { buildComponent } = await import(path.join(root, 'dist/engine/build.js'));
const file = (await import(path.join(root, 'dist/channels/file.js'))).default;

const [dir, mode, startArg] = process.argv.slice(2);
const out = (s) => fs.writeSync(1, s + '\n');
const { instance: ch } = buildComponent(file, 'c1', {
  checkpointDir: path.join(dir, 'ck'), dataDirs: `${path.join(dir, 'd1')},${path.join(dir, 'd2')}`,
  capacity: '100000', transactionCapacity: '200', checkpointInterval: '150', maxFileSize: '65536', minimumRequiredSpace: '0',
});
ch.start();
out(`READY ${ch.size()}`);

if (mode === 'drain') {
  for (;;) {
    const tx = ch.createTransaction();
    tx.begin();
    const ids = [];
    for (let i = 0; i < 200; i++) { const e = tx.take(); if (!e) break; ids.push(e.body.toString()); }
    tx.commit();
    tx.close();
    if (ids.length === 0) break;
    out(`D ${ids.join(' ')}`);
  }
  ch.stop();
  out('DONE');
  process.exit(0);
}

let next = Number(startArg);
const pad = 'x'.repeat(200);
for (let step = 0; ; step++) {
  if (Math.random() < 0.6) {
    const n = 1 + Math.floor(Math.random() * 50);
    const tx = ch.createTransaction();
    tx.begin();
    for (let i = 0; i < n; i++) tx.put({ headers: { id: String(next + i), pad }, body: Buffer.from(String(next + i)) });
    out(`p ${next} ${next + n - 1}`);
    tx.commit();
    out(`P ${next} ${next + n - 1}`);
    tx.close();
    next += n;
  } else {
    const n = 1 + Math.floor(Math.random() * 60);
    const tx = ch.createTransaction();
    tx.begin();
    const ids = [];
    for (let i = 0; i < n; i++) { const e = tx.take(); if (!e) break; ids.push(e.body.toString()); }
    if (ids.length > 0 && Math.random() < 0.1) {
      tx.rollback(); // taken, not committed: must come back
    } else {
      if (ids.length > 0) out(`t ${ids.join(' ')}`);
      tx.commit();
      if (ids.length > 0) out(`T ${ids.join(' ')}`);
    }
    tx.close();
  }
  if (step % 10 === 0) await new Promise((r) => setImmediate(r)); // let the checkpoint timer run
}
