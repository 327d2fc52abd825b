// `crosskey lab …`: the built-in lab (simulated Elasticsearch clusters behind real SSH hosts), implemented in lab/.
import type { CliCommand } from '../command.js';
import { labCommand, LAB_USAGE } from '../../../lab/cli.js';

export const labCliCommand: CliCommand = {
  name: 'lab',
  usage: LAB_USAGE,
  async run(argv, io) {
    return labCommand(argv.length ? argv : ['--help'], {
      out: (s) => io.stdout.write(s),
      err: (s) => io.stderr.write(s),
    });
  },
};
