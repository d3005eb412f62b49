import type { CommandModule } from 'yargs';

export interface DemoArgs { duration?: number; rate: number }

export const demoCommand: CommandModule<object, DemoArgs> = {
  command: 'demo',
  describe: 'the appliance on virtual devices with two Linux hosts in namespaces, traffic and live statistics (npm start)',
  builder: (y) => y
    .option('duration', { type: 'number', describe: 'stop by itself after this many seconds (default: until Ctrl-C)' })
    .option('rate', { type: 'number', default: 2000, describe: 'datagrams per second the demo host sends' }) as never,
  handler: async (argv) => (await import('../impl/demo.js')).demo(argv),
};
