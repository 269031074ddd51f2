/**
 * aws-local-stepfunctions 3 targets Node 22 and calls Promise.withResolvers (ES2024) for every Task
 * state's timeout; Node 20 lacks it, so a Task would fail with "Promise.withResolvers is not a
 * function". Importing this module once, before the package runs, adds it. It is spec behaviour
 * (a promise with its resolve and reject), so it is harmless where Node already has it.
 */
interface Resolvers<T> {
  promise: Promise<T>;
  resolve: (value: T | PromiseLike<T>) => void;
  reject: (reason?: unknown) => void;
}

const promiseConstructor = Promise as unknown as { withResolvers?: <T>() => Resolvers<T> };

if (typeof promiseConstructor.withResolvers !== 'function') {
  promiseConstructor.withResolvers = function withResolvers<T>(): Resolvers<T> {
    let resolve!: Resolvers<T>['resolve'];
    let reject!: Resolvers<T>['reject'];
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

export {};
