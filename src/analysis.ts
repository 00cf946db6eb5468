/**
 * `replicheck/analysis`: checkers, metrics, history formats and the pieces
 * reports are built from — for tools that analyse histories rather than write
 * models or properties.
 */
export * from './index.js';
