/**
 * aws-cdk-lib's classes declare some members `T | undefined` where its interfaces say `T?`, so with
 * our exactOptionalPropertyTypes a `Vpc` is refused where an `IVpc` is asked for. The object is
 * that interface all the same; this says so in one place instead of a cast at every call.
 */
export const asInterface = <I>(construct: object): I => construct as I;
