/** Snapshot records live with the store that keeps them. */
export * from '../../store/repositories/snapshot-records.js';
