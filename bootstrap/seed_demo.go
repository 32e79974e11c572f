package bootstrap

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/campus/campus/adapters/store"
	"github.com/campus/campus/application/seed"
	"github.com/campus/campus/domain/attendance"
	"github.com/campus/campus/domain/fault"
)

// seedDemoCmd is `campus seed demo`: a generated campus (students,
// attendance of school days ending yesterday in TIMEZONE, complaints,
// risks) written through the bulk path, deterministic for a seed.
func seedDemoCmd() *cobra.Command {
	var students, days int
	var seedValue uint64
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Generate a demo data set (refuses when demo students exist); needs the admin account (run `campus seed` first)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			db, cleanup, err := InitializeStore(ctx, cfg)
			if err != nil {
				return err
			}
			defer cleanup()
			if cfg.Database.IsSQLite() {
				if err := store.Migrate(ctx, db); err != nil {
					return err
				}
			}
			admin, err := store.NewUserRepository(db).GetByUsername(ctx, "admin")
			if errors.Is(err, fault.ErrNotFound) {
				return errors.New("seed demo: no admin account to file the demo complaints; run `campus seed` first")
			}
			if err != nil {
				return err
			}
			start := time.Now()
			yesterday := attendance.DateOf(start.In(cfg.Location()).AddDate(0, 0, -1), cfg.Location())
			rep, err := seed.NewDemo(store.NewDemoStore(db)).Run(ctx, seed.DemoSpec{Students: students, Days: days, Seed: seedValue,
				Last: yesterday, FiledBy: admin.ID})
			if err != nil {
				return fmt.Errorf("seed demo: %w", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "demo data: %d students, %d attendance records (%s..%s), %d complaints, %d risks in %s\n",
				rep.Students, rep.Attendance, rep.From, rep.To, rep.Complaints, rep.Risks, time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
	cmd.Flags().IntVar(&students, "students", 1000, "number of students")
	cmd.Flags().IntVar(&days, "days", 60, "school days (Monday-Friday) of attendance, ending yesterday")
	cmd.Flags().Uint64Var(&seedValue, "seed", 1, "random seed: the same seed gives the same data")
	return cmd
}
