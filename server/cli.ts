#!/usr/bin/env node
// avatar-server: parses flags and env, starts the server, logs `listening on http://HOST:PORT`, stops on SIGTERM/SIGINT.
// What goes wrong before the server's log exists (a configuration mistake) is one plain line on stderr.
import { checkConfigTargets, ConfigError, HELP, loadConfig, parseArgs } from './config.ts';

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.help) {
    console.log(HELP);
    return;
  }
  const config = loadConfig(args.flags, process.env);
  const warning = await checkConfigTargets(config);
  if (warning) console.error(`avatar-server: warning: ${warning}`);
  // Loaded only now, so a configuration mistake is reported without first loading sharp and the database.
  const { startServer } = await import('./server.ts');
  const server = await startServer(config);
  const { log } = server.deps;
  log.info({ url: server.url }, `listening on ${server.url}`);
  if (config.dev) log.info(`dev mode: data in ${config.dataDir}; POST ${server.url}/v1/dev/token {"user_id"} for a token`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: shutting down`);
    server.close().then(() => process.exit(0), (err: unknown) => {
      log.error({ err }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  // Configuration problems are one line naming the variable; anything else is unexpected and gets its stack.
  if (err instanceof ConfigError) console.error(`avatar-server: ${err.message}`);
  else console.error(`avatar-server: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  process.exit(1);
});
