package sqlite

import "database/sql"

// ReadDB is the store's reader connection, for the external benchmarks that compare
// queries.
func ReadDB(s *Store) *sql.DB { return s.r }
