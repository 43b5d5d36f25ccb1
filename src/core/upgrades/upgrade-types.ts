/** Revisions, upgrades and rollouts: the records live with the store that keeps them. */
export * from '../../store/repositories/upgrade-records.js';
