export * from './fieldError.ts';
export * from './searchQuery.ts';
export * from './parseSearchParams.ts';
