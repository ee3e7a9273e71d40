/** Stage "shape": errors to catalogue codes, subgraph named, internals removed. */
export { createErrorShaper } from './format-error.ts';
