export * from './constants';
export * from './errors';
export * from './outcome';
export * from './monitor';
export * from './fleet';
export * from './table';
export * from './validate';
export * from './net';
