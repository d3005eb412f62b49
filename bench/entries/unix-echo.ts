// Anchor peer for the control round trip: echoes every chunk back on a Unix stream socket.
import net from 'node:net';

const path = process.argv[2];
const server = net.createServer((sock) => {
  sock.setNoDelay(true);
  sock.on('data', (d) => sock.write(d));
  sock.on('error', () => sock.destroy());
});
server.listen(path, () => process.send?.('listening'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
setTimeout(() => process.exit(0), 10 * 60_000).unref(); // bounded even if never told to stop
