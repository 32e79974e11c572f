package bootstrap

import (
	"github.com/google/wire"

	"github.com/campus/campus/adapters/blob"
	"github.com/campus/campus/adapters/sheet"
	"github.com/campus/campus/adapters/store"
	"github.com/campus/campus/application/export"
	"github.com/campus/campus/bootstrap/config"
	"github.com/campus/campus/ports"
)

// exportSet assembles the exports: the use cases, the table encoder and
// the blob store chosen by the database kind.
var exportSet = wire.NewSet(exportConfig, export.NewService, wire.Struct(new(export.Deps), "*"), sheet.ProviderSet, blobStore)

// exportConfig maps the campus calendar's zone (complaint date filters
// and download file names are its days); the 24 h expiry and the batch
// of 1000 rows are the service's defaults.
func exportConfig(c config.Config) export.Config { return export.Config{Location: c.Location()} }

// blobStore keeps export files in the database on PostgreSQL, so any
// replica serves a download, and in EXPORT_DIR on SQLite (one node).
func blobStore(c config.Config, db *store.DB) (ports.BlobStore, error) {
	if db.Dialect() == store.Postgres {
		return store.NewBlobStore(db), nil
	}
	return blob.NewDir(c.Tasks.ExportDir)
}
