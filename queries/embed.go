// Package queries holds the audit checks, one SQL file per check.
//
// Each file is named <id>.sql and opens with "-- key: value" lines: id (the
// file name), title, severity (the base severity: info, low, medium, high or
// critical), rationale, an optional remediation, and knobs (the policy keys
// the check reads, comma-separated; may be empty). A line starting with "--"
// and two or more spaces continues the previous value. The rest of the file
// is one SELECT returning the finding columns, in this order:
//
//	severity VARCHAR, user_id VARCHAR, username VARCHAR, session_id VARCHAR,
//	source_ip VARCHAR, observed_at TIMESTAMP, detail VARCHAR,
//	target_kind VARCHAR, target_id VARCHAR
//
// target_kind is 'login' (the session families that login created),
// 'family' (the sessions sharing that parent_id), 'session', or NULL when the
// finding proposes no removal. Knobs reach the query as
// getvariable('<key>') or as tables named policy_<key>; as_of is the audit's
// clock. analyze.Run also provides ip_info and a few macros.
package queries

import "embed"

// FS holds every check file.
//
//go:embed *.sql
var FS embed.FS
