import { Command } from 'commander';
import { createLogger } from '@loopabull/core';
import { startServer } from '@loopabull/server';
import { shippedRoutes } from '../automations.js';
import { runUntilSignal } from '../lifecycle.js';
import { configFrom, withConfig, type ConfigOpts } from '../options.js';

export const serveCommand = () =>
  withConfig(new Command('serve'))
    .description(
      'run the HTTP server: dashboard, /healthz, /readyz, /metrics, JSON API, automations (systemd: loopabull-web.service)',
    )
    .action(async (opts: ConfigOpts) => {
      const config = configFrom(opts);
      const server = await startServer(config, shippedRoutes);
      await runUntilSignal('server', createLogger('serve', config.loglevel), () => server.close());
    });
