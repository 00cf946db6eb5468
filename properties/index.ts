/**
 * `replicheck/properties`: the reusable fast-check properties — everything a
 * model claims (`assertModel`, `checkModel`, `guaranteeProperty`), one family
 * at a time (`familyProperty`), and the scenario arbitrary they draw from.
 */
export * from './harness.js';
export * from './families.js';
