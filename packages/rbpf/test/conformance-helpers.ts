// The conformance helpers live with the plugin; tests use the same table.
export { conformanceHelpers } from '../src/cli/plugin.js';
