package bootstrap

import (
	"github.com/campus/campus/application/analytics"
	"github.com/campus/campus/bootstrap/config"
)

// analyticsConfig maps the campus calendar's zone (TIMEZONE), which ends
// every analytics window.
func analyticsConfig(c config.Config) analytics.Config {
	return analytics.Config{Location: c.Location()}
}
