package bootstrap

import (
	"github.com/campus/campus/application/reports"
	"github.com/campus/campus/bootstrap/config"
)

// reportsConfig maps the campus calendar's zone (TIMEZONE), which decides
// the windows, weekdays, hours and weeks of the complaint, risk and summary
// figures.
func reportsConfig(c config.Config) reports.Config {
	return reports.Config{Location: c.Location()}
}
