// Moved to e2e/scenarios/hnet-node.ts; this name stays until the UI lab tests, the server-stack
// test and bench/data-plane.ts import it from there.
export * from './scenarios/hnet-node.js';
