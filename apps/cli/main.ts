// Entry point of the `manifold` command (bin/manifold.js imports this).
import { hideBin } from 'yargs/helpers';
import { main } from './cli.js';

await main(hideBin(process.argv));
