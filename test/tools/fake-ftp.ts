/** A minimal FTP server for tests: anonymous login, TYPE, CWD, SIZE, EPSV / PASV, RETR, QUIT. */
import net from 'node:net';

export interface FakeFtpOptions {
  /** Reply 500 to EPSV, so the client must use PASV. */
  noEpsv?: boolean;
  /** Send half of the file, then close the data connection and reply 426 (transfer aborted). */
  abortTransfer?: boolean;
}

export class FakeFtp {
  readonly commands: string[] = [];
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  constructor(
    private readonly files: Map<string, Buffer>,
    private readonly o: FakeFtpOptions = {},
  ) {
    this.server = net.createServer((s) => this.handle(s));
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(s: net.Socket): void {
    this.sockets.add(s);
    s.on('close', () => this.sockets.delete(s));
    s.on('error', () => {});
    s.setEncoding('latin1');
    let cwd = '';
    let dataServer: net.Server | undefined;
    let dataSocket: Promise<net.Socket> | undefined;
    const reply = (text: string): void => {
      s.write(`${text}\r\n`);
    };
    const openPassive = async (): Promise<number> => {
      dataServer?.close();
      const srv = net.createServer();
      dataServer = srv;
      dataSocket = new Promise((resolve) => srv.once('connection', (c) => {
        this.sockets.add(c);
        c.on('close', () => this.sockets.delete(c));
        resolve(c);
      }));
      await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
      return (srv.address() as net.AddressInfo).port;
    };
    const resolvePath = (name: string): string => (name.startsWith('/') ? name : `${cwd}/${name}`).replace(/^\/+/, '/');
    reply('220-Welcome to the fake FTP server');
    reply('220 ready');
    let buffer = '';
    s.on('data', (d: string) => {
      buffer += d;
      let nl = buffer.indexOf('\r\n');
      while (nl !== -1) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 2);
        nl = buffer.indexOf('\r\n');
        void this.command(line, reply, {
          cwd: () => cwd,
          setCwd: (c) => (cwd = c),
          openPassive,
          dataSocket: () => dataSocket,
          resolvePath,
        });
      }
    });
  }

  private async command(
    line: string,
    reply: (t: string) => void,
    st: {
      cwd: () => string;
      setCwd: (c: string) => void;
      openPassive: () => Promise<number>;
      dataSocket: () => Promise<net.Socket> | undefined;
      resolvePath: (n: string) => string;
    },
  ): Promise<void> {
    this.commands.push(line);
    const sp = line.indexOf(' ');
    const cmd = (sp === -1 ? line : line.slice(0, sp)).toUpperCase();
    const arg = sp === -1 ? '' : line.slice(sp + 1);
    switch (cmd) {
      case 'USER':
        return reply('331 send your e-mail address as password');
      case 'PASS':
        return reply('230 logged in');
      case 'TYPE':
        return reply('200 type set');
      case 'CWD': {
        const dir = st.resolvePath(arg);
        const exists = [...this.files.keys()].some((f) => f.startsWith(`${dir}/`));
        if (!exists) return reply('550 no such directory');
        st.setCwd(dir);
        return reply('250 ok');
      }
      case 'SIZE': {
        const f = this.files.get(st.resolvePath(arg));
        return f ? reply(`213 ${f.length}`) : reply('550 no such file');
      }
      case 'EPSV': {
        if (this.o.noEpsv) return reply('500 EPSV not understood');
        const port = await st.openPassive();
        return reply(`229 Entering Extended Passive Mode (|||${port}|)`);
      }
      case 'PASV': {
        const port = await st.openPassive();
        // A private-looking address that the client must ignore (it uses the control peer).
        return reply(`227 Entering Passive Mode (10,255,255,1,${port >> 8},${port & 255})`);
      }
      case 'RETR': {
        const f = this.files.get(st.resolvePath(arg));
        if (!f) return reply(`550 ${arg}: No such file or directory`);
        const data = st.dataSocket();
        if (!data) return reply('425 use PASV or EPSV first');
        reply(`150 Opening BINARY mode data connection for ${arg} (${f.length} bytes)`);
        const c = await data;
        if (this.o.abortTransfer) {
          c.write(f.subarray(0, f.length >> 1));
          c.end(() => reply('426 Connection closed; transfer aborted.'));
          return;
        }
        // Several writes, so the client sees more than one chunk.
        for (let i = 0; i < f.length; i += 65536) c.write(f.subarray(i, i + 65536));
        c.end(() => reply('226 Transfer complete'));
        return;
      }
      case 'QUIT':
        return reply('221 bye');
      default:
        return reply(`502 ${cmd} not implemented`);
    }
  }
}
