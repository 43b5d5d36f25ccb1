/**
 * The one test-only way to the raw database behind a daemon's store: to force a state no API
 * or repository method makes (a row left `creating` by a crash, a migration table read).
 * Prefer a repository method (`store.repos.*`) wherever one says the same thing.
 */
export { unsafeDbForTests } from '../../src/store/unsafe-db.js';
