/** @module Column helpers shared by the tables. */
import { customType, timestamp } from 'drizzle-orm/pg-core';

/** Text compared byte by byte whatever the database's collation: version keys rely on it. */
export const byteOrderedText = customType<{ data: string; driverData: string }>({
  dataType: () => 'text COLLATE "C"',
});

/** PostgreSQL's full-text document type; only SQL reads it (lists' search and ranking). */
export const tsvector = customType<{ data: string; driverData: string }>({
  dataType: () => 'tsvector',
});

export const lifecycleDates = {
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
};
