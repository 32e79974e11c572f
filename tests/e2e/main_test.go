package e2e

import (
	"testing"

	"github.com/campus/campus/tests/testenv"
)

func sqliteURL(t *testing.T) string { return testenv.SQLiteURL(t) }
