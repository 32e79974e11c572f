package store

import (
	"github.com/google/wire"

	"github.com/campus/campus/ports"
)

// ProviderSet provides the database (from a store.Config, with its cleanup),
// the transaction runner and every repository, each bound to its port.
var ProviderSet = wire.NewSet(
	Open,
	wire.Bind(new(ports.Pinger), new(*DB)),
	NewTxRunner,
	wire.Bind(new(ports.TxRunner), new(*TxRunner)),
	NewLoginAttemptRepository,
	wire.Bind(new(ports.LoginAttemptRepository), new(*LoginAttemptRepository)),
	NewSessionRepository,
	wire.Bind(new(ports.SessionRepository), new(*SessionRepository)),
	NewStudentRepository,
	wire.Bind(new(ports.StudentRepository), new(*StudentRepository)),
	NewAuditLog,
	wire.Bind(new(ports.AuditLog), new(*AuditLog)),
	// NewOutbox is provided by the assembly, which wraps it in the outbox
	// that keeps cached figures fresh (application/freshness.Outbox).
	NewHousekeeping,
	wire.Bind(new(ports.Housekeeping), new(*Housekeeping)),
	// One set per campus module, each in that module's file.
	attendanceSet, complaintSet, scheduleSet, clubSet, riskSet, agentSet, notificationSet,
	anomalySet, attendanceRiskSet,
	exportSet,
	analyticsAttendanceSet,
	reportSet,
)

// Compile-time checks that each adapter satisfies its port.
var (
	_ ports.Pinger                 = (*DB)(nil)
	_ ports.TxRunner               = (*TxRunner)(nil)
	_ ports.UserRepository         = (*UserRepository)(nil)
	_ ports.LoginAttemptRepository = (*LoginAttemptRepository)(nil)
	_ ports.SessionRepository      = (*SessionRepository)(nil)
	_ ports.StudentRepository      = (*StudentRepository)(nil)
	_ ports.AuditLog               = (*AuditLog)(nil)
	_ ports.Outbox                 = (*Outbox)(nil)
)
