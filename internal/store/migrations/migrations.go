// Package migrations holds the store's schema migrations, one directory of goose SQL files
// per dialect (sqlite/; postgres/ later), embedded in the binary.
package migrations

import (
	"embed"
	"io/fs"
)

//go:embed sqlite/*.sql
var files embed.FS

// SQLite returns the SQLite migrations, at the root of the returned file system.
func SQLite() fs.FS {
	sub, err := fs.Sub(files, "sqlite")
	if err != nil {
		panic("migrations: " + err.Error()) // the directory is embedded at build time
	}
	return sub
}
