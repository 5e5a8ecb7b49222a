export * from './builtin-lab.js';
export * from './haproxy-agents.js';
export * from './line-client.js';
export * from './report.js';
export * from './rs-server.js';
export * from './run-cli.js';
export * from './temp-dir.js';
export * from './tmux.js';
