/**
 * Assertion helpers shared by the off-chain tests (no tests here).
 */
import { expect } from "chai";

/** The error `promise` rejects with; fails the test if it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  expect.fail("expected the promise to reject");
}

/** Run `fn`, assert it throws an instance of `type`, and return the error. */
export function expectThrows<E extends Error>(
  fn: () => unknown,
  type: abstract new (...args: never[]) => E,
): E {
  try {
    fn();
  } catch (error) {
    expect(error, `expected ${type.name}, got ${String(error)}`).to.be.instanceOf(type);
    return error as E;
  }
  expect.fail(`expected ${type.name} to be thrown, but the call returned`);
}
