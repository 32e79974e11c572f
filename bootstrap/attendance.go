package bootstrap

import (
	"github.com/campus/campus/application/attendance"
	"github.com/campus/campus/bootstrap/config"
)

// attendanceConfig maps the settings of the attendance module: the campus
// calendar's zone, the secret its check-in code key derives from, and the
// QR rotation and late rules.
func attendanceConfig(c config.Config) attendance.Config {
	return attendance.Config{Location: c.Location(), Secret: c.Auth.SigningKey(),
		QRRotate: c.Attendance.QRRotate(), LateAfter: c.Attendance.LateAfter()}
}
