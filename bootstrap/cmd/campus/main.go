// Command campus is the one binary of the campus backend: the API server and
// its operator commands (migrations, seeding, configuration check).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/campus/campus/bootstrap"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() { os.Exit(run()) }

func run() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := bootstrap.NewCLI(version).ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "campus:", err)
		return 1
	}
	return 0
}
