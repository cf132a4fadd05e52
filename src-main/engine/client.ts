// The part of the engine's face that talks to a running engine without loading one: the control
// client, where the config and the socket live, the logger and the version. `hnet` starts on this
// alone, so a command answers as fast as a socket round trip, not after the whole engine loads.
export { ControlClient, DEFAULT_CONTROL_SOCKET } from './control/control-client.js';
export { createLogger, type Logger } from './log.js';
export { configEnvironment, DEFAULT_CONFIG_FILE, loadConfig, type Config } from './state/config.js';
export { PersistedJson } from './state/persisted-json.js';
export { HNET_VERSION } from './version.js';
