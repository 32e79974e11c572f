//go:build wireinject

package bootstrap

import (
	"context"
	"log/slog"

	"github.com/campus/campus/adapters/cache"
	httpapi "github.com/campus/campus/adapters/http"
	"github.com/campus/campus/adapters/password"
	"github.com/campus/campus/adapters/store"
	"github.com/campus/campus/adapters/system"
	"github.com/campus/campus/adapters/token"
	"github.com/campus/campus/bootstrap/config"
	"github.com/google/wire"
)

// InitializeAPI assembles the API process.
func InitializeAPI(ctx context.Context, cfg config.Config, v Version, log *slog.Logger) (*API, func(), error) {
	wire.Build(store.ProviderSet, system.ProviderSet, token.ProviderSet, password.ProviderSet, cache.ProviderSet, httpapi.ProviderSet, appSet,
		wire.Bind(new(httpapi.Database), new(*store.DB)), wire.Bind(new(httpapi.Cache), new(*cache.Cache)))
	return nil, nil, nil
}

// InitializeStore assembles just the database, for migrations.
func InitializeStore(ctx context.Context, cfg config.Config) (*store.DB, func(), error) {
	wire.Build(storeConfig, store.Open)
	return nil, nil, nil
}
