export * from './provider.ts';
export * from './errors.ts';
export * from './model/service.ts';
