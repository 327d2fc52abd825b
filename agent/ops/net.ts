// port.check: can this host open a TCP connection to host:port (from the host's point of view)?
import { connect } from 'node:net';
import type { OpArgs, OpResult } from '../protocol.js';
import { invalid } from './errors.js';

export function portCheck(args: OpArgs<'port.check'>): Promise<OpResult<'port.check'>> {
  if (typeof args.host !== 'string' || !Number.isInteger(args.port) || args.port < 1 || args.port > 65535) {
    throw invalid('port.check: needs "host" and an integer "port" 1-65535');
  }
  return new Promise((resolve) => {
    const sock = connect({ host: args.host, port: args.port });
    const done = (open: boolean) => {
      clearTimeout(timer);
      sock.destroy();
      resolve({ open });
    };
    const timer = setTimeout(() => done(false), args.timeoutMs ?? 2000);
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}
