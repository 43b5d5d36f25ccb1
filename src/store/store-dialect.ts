/** The SQL backends berth runs on; migrations branch on it where the dialects differ. */
export type StoreDialect = 'sqlite' | 'postgres';
