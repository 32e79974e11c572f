-- Complaint, risk and summary analytics. The risk distribution groups
-- every record by (risk_type, severity) counting statuses: the three
-- columns in one index let it read the index alone. The top students by
-- open risk group the open records by student and severity: a partial
-- index holds exactly those. The summary's last-7-days counts of new
-- risks and students range over created_at. Complaints by created_at are
-- indexed since 0017 (complaints_created_at_idx), their statuses since
-- 0008, active schedules by the partial schedules_active_idx (0009).
CREATE INDEX risks_type_severity_status_idx ON risks (risk_type, severity, status);
--bun:split
CREATE INDEX risks_open_student_severity_idx ON risks (student_id, severity) WHERE status = 'open';
--bun:split
CREATE INDEX risks_created_at_idx ON risks (created_at);
--bun:split
CREATE INDEX students_created_at_idx ON students (created_at);
