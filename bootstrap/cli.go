package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/campus/campus/adapters/logging"
	"github.com/campus/campus/adapters/queue"
	"github.com/campus/campus/adapters/store"
	"github.com/campus/campus/application/seed"
	"github.com/campus/campus/bootstrap/config"
	"github.com/campus/campus/domain/identity"
)

// NewCLI builds the campus command line.
func NewCLI(version string) *cobra.Command {
	root := &cobra.Command{
		Use:           "campus",
		Short:         "The campus backend: API server and operator commands",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(serveCmd(Version(version)), workerCmd(), schedulerCmd(), migrateCmd(), seedCmd(Version(version)), configCmd(), versionCmd(version),
		healthcheckCmd(), monitorCmd())
	return root
}

// loadConfig reads the configuration and prints its warnings.
func loadConfig(w io.Writer) (config.Config, error) {
	cfg, warnings, err := config.Load()
	if err != nil {
		return cfg, err
	}
	for _, msg := range warnings {
		fmt.Fprintln(w, "warning:", msg)
	}
	return cfg, nil
}

func newLogger(cfg config.Config, console io.Writer) (*slog.Logger, func(), error) {
	return logging.New(logging.Options{Level: cfg.Log.Level, File: cfg.Log.File, MaxSizeMB: cfg.Log.MaxSizeMB,
		MaxBackups: cfg.Log.MaxBackups, Console: console})
}

func serveCmd(v Version) *cobra.Command {
	var migrateFirst bool
	var opts ServeOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the HTTP API (SQLite databases are migrated automatically)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			if err := cfg.Validate(); err != nil {
				return fmt.Errorf("refusing to start: %w", err)
			}
			log, closeLog, err := newLogger(cfg, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			defer closeLog()
			return Serve(cmd.Context(), cfg, v, log, migrateFirst || cfg.Database.IsSQLite(), opts)
		},
	}
	cmd.Flags().BoolVar(&migrateFirst, "migrate", false, "apply pending migrations before serving (always on for SQLite)")
	cmd.Flags().BoolVar(&opts.WithWorker, "with-worker", false, "also run the background worker in this process (always on without REDIS_URL)")
	return cmd
}

// Serve runs the API (and, when assembled, the background worker) until
// ctx ends, then drains in-flight requests and running jobs.
func Serve(ctx context.Context, cfg config.Config, v Version, log *slog.Logger, migrate bool, o ServeOptions) error {
	app, cleanup, err := InitializeAPI(ctx, cfg, v, log, o)
	if err != nil {
		return fmt.Errorf("assemble api: %w", err)
	}
	defer cleanup()
	if err := Prepare(ctx, cfg, app, log, migrate); err != nil {
		return err
	}
	stopWorker := runWorker(ctx, app, log)
	defer stopWorker()
	errc := make(chan error, 1)
	go func() { errc <- app.Server.Listen(cfg.Server.Addr()) }()
	log.Info("campus api listening", "addr", "http://"+cfg.Server.Addr(), "env", string(cfg.Env),
		"database", app.DB.Dialect(), "version", string(v))
	select {
	case err := <-errc:
		return fmt.Errorf("listen: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing in-flight requests")
	if err := app.Server.Shutdown(); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

// runWorker starts the API's own worker, if it has one, and returns a
// function that stops it and waits for running jobs.
func runWorker(ctx context.Context, app *API, log *slog.Logger) func() {
	if app.Worker == nil {
		return func() {}
	}
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := app.Worker.Run(wctx); err != nil {
			log.Error("background worker stopped", "error", err.Error())
		}
	}()
	return func() { cancel(); <-done }
}

// Prepare readies the database of an assembled API: it applies migrations
// (or, when migrate is false, checks none is pending) and seeds accounts.
func Prepare(ctx context.Context, cfg config.Config, app *API, log *slog.Logger, migrate bool) error {
	if migrate {
		if err := store.Migrate(ctx, app.DB); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
	} else if err := requireSchema(ctx, app.DB); err != nil {
		return err
	}
	return seedAccounts(ctx, cfg, app.Seeder, log)
}

// requireSchema refuses to serve a PostgreSQL database whose schema is
// behind the binary: operators migrate explicitly there.
func requireSchema(ctx context.Context, db *store.DB) error {
	states, err := store.MigrationStatus(ctx, db)
	if err != nil {
		return fmt.Errorf("read migration status: %w", err)
	}
	for _, s := range states {
		if !s.Applied {
			return fmt.Errorf("database schema is behind (%s not applied): run `campus migrate up` or `campus serve --migrate`", s.Name)
		}
	}
	return nil
}

// seedAccounts ensures the test accounts outside production, and the admin
// of SEED_ADMIN_PASSWORD in production.
func seedAccounts(ctx context.Context, cfg config.Config, s *seed.Service, log *slog.Logger) error {
	var accounts []seed.Account
	switch {
	case cfg.SeedTestAccounts():
		accounts = seed.TestAccounts()
	case cfg.Auth.SeedAdminPassword != "":
		accounts = []seed.Account{{Username: "admin", Password: cfg.Auth.SeedAdminPassword, FullName: "Campus Administrator", Role: identity.RoleAdmin}}
	default:
		return nil
	}
	n, err := s.Ensure(ctx, accounts)
	if err != nil {
		return fmt.Errorf("seed accounts: %w", err)
	}
	if n > 0 {
		log.Info("seeded accounts", "created", n)
	}
	return nil
}

// redisProcess loads the configuration of a process that only makes sense
// with Redis (worker, scheduler), refuses what serve would refuse, and
// opens its logger.
func redisProcess(cmd *cobra.Command, name, inProcess string) (config.Config, *slog.Logger, func(), error) {
	cfg, err := loadConfig(cmd.ErrOrStderr())
	if err != nil {
		return cfg, nil, nil, err
	}
	if err := cfg.Validate(); err != nil {
		return cfg, nil, nil, fmt.Errorf("refusing to start: %w", err)
	}
	if !cfg.Redis.Enabled() {
		return cfg, nil, nil, fmt.Errorf("campus %s needs REDIS_URL: without it, campus serve runs %s in-process", name, inProcess)
	}
	log, closeLog, err := newLogger(cfg, cmd.ErrOrStderr())
	return cfg, log, closeLog, err
}

func workerCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "worker",
		Short: "Run background jobs from the Redis queue and relay the outbox into it (needs REDIS_URL)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, log, closeLog, err := redisProcess(cmd, "worker", "the background work")
			if err != nil {
				return err
			}
			defer closeLog()
			p, cleanup, err := InitializeWorker(cmd.Context(), cfg, log)
			if err != nil {
				return fmt.Errorf("assemble worker: %w", err)
			}
			defer cleanup()
			if err := requireSchema(cmd.Context(), p.DB); err != nil {
				return err
			}
			return p.Worker.Run(cmd.Context())
		},
	}
}

func schedulerCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "scheduler",
		Short: "Enqueue the periodic jobs (once per tick, however many schedulers run; needs REDIS_URL)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, log, closeLog, err := redisProcess(cmd, "scheduler", "the schedule")
			if err != nil {
				return err
			}
			defer closeLog()
			s, cleanup, err := InitializeScheduler(cmd.Context(), cfg, log)
			if err != nil {
				return fmt.Errorf("assemble scheduler: %w", err)
			}
			defer cleanup()
			if err := s.Start(); err != nil {
				return err
			}
			log.Info("scheduler started")
			<-cmd.Context().Done()
			s.Shutdown()
			log.Info("scheduler stopped")
			return nil
		},
	}
}

func withStore(cmd *cobra.Command, fn func(ctx context.Context, db *store.DB) error) error {
	cfg, err := loadConfig(cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	db, cleanup, err := InitializeStore(cmd.Context(), cfg)
	if err != nil {
		return err
	}
	defer cleanup()
	return fn(cmd.Context(), db)
}

func migrateCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "migrate", Short: "Manage the database schema"}
	cmd.AddCommand(&cobra.Command{
		Use: "up", Short: "Apply every pending migration",
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withStore(cmd, func(ctx context.Context, db *store.DB) error {
				if err := store.Migrate(ctx, db); err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), "migrations applied")
				return nil
			})
		},
	}, &cobra.Command{
		Use: "down", Short: "Roll back the last migration group",
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withStore(cmd, func(ctx context.Context, db *store.DB) error {
				if err := store.MigrateDown(ctx, db); err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), "last migration group rolled back")
				return nil
			})
		},
	}, &cobra.Command{
		Use: "status", Short: "List migrations and whether each is applied",
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withStore(cmd, func(ctx context.Context, db *store.DB) error {
				states, err := store.MigrationStatus(ctx, db)
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "MIGRATION\tAPPLIED\tGROUP")
				for _, s := range states {
					fmt.Fprintf(tw, "%s\t%t\t%d\n", s.Name, s.Applied, s.Group)
				}
				return tw.Flush()
			})
		},
	})
	return cmd
}

func seedCmd(v Version) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "seed",
		Short: "Create the test accounts (or, in production, the SEED_ADMIN_PASSWORD admin) if missing",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
			app, cleanup, err := InitializeAPI(cmd.Context(), cfg, v, log, ServeOptions{})
			if err != nil {
				return err
			}
			defer cleanup()
			if cfg.Database.IsSQLite() {
				if err := store.Migrate(cmd.Context(), app.DB); err != nil {
					return err
				}
			}
			if !cfg.SeedTestAccounts() && cfg.Auth.SeedAdminPassword == "" {
				return errors.New("production: set SEED_ADMIN_PASSWORD to create the first admin")
			}
			if err := seedAccounts(cmd.Context(), cfg, app.Seeder, log); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "accounts ensured")
			return nil
		},
	}
	cmd.AddCommand(seedDemoCmd())
	return cmd
}

func configCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Inspect the configuration"}
	cmd.AddCommand(&cobra.Command{
		Use:   "check",
		Short: "Print the effective settings (secrets masked) and enforce the production rules",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			for _, s := range cfg.Masked() {
				fmt.Fprintf(tw, "%s\t%s\n", s.Name, s.Value)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if err := cfg.Validate(); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "configuration OK for", cfg.Env)
			return nil
		},
	})
	return cmd
}

func versionCmd(version string) *cobra.Command {
	return &cobra.Command{
		Use: "version", Short: "Print the version",
		Run: func(cmd *cobra.Command, _ []string) { fmt.Fprintln(cmd.OutOrStdout(), "campus", version) },
	}
}

// healthcheckCmd lets a container probe the API without curl in the image.
func healthcheckCmd() *cobra.Command {
	return &cobra.Command{
		Use: "healthcheck", Short: "Exit 0 when the local API answers /health with 200",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(io.Discard)
			if err != nil {
				return err
			}
			client := http.Client{Timeout: 3 * time.Second}
			resp, err := client.Get("http://127.0.0.1:" + strconv.Itoa(cfg.Server.Port) + "/health")
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("health answered %d", resp.StatusCode)
			}
			return nil
		},
	}
}

// monitorCmd serves asynqmon on its own listener, loopback by default:
// it can delete and re-run tasks, so it is not for the public network.
func monitorCmd() *cobra.Command {
	var addr string
	var readOnly bool
	cmd := &cobra.Command{
		Use:   "monitor",
		Short: "Serve asynqmon (the job queues' web UI) over REDIS_URL",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			h, closeMon, err := queue.MonitorHandler(cfg.Redis.URL, readOnly)
			if err != nil {
				return err
			}
			defer closeMon()
			srv := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 10 * time.Second}
			errc := make(chan error, 1)
			go func() { errc <- srv.ListenAndServe() }()
			fmt.Fprintf(cmd.OutOrStdout(), "asynqmon on http://%s\n", addr)
			select {
			case err := <-errc:
				return err
			case <-cmd.Context().Done():
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			return srv.Shutdown(ctx)
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8081", "listen address (keep it on loopback or behind authentication)")
	cmd.Flags().BoolVar(&readOnly, "read-only", false, "hide the actions that change tasks")
	return cmd
}
