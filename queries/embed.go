// Package queries holds the audit checks, one SQL file per check.
//
// Each file is named <id>.sql and opens with "-- key: value" lines: id (the
// file name), title, severity (the base severity: info, low, medium, high or
// critical), rationale, an optional remediation, knobs (the policy keys
// the check reads, comma-separated; may be empty), and removes (what its
// findings propose for removal when the policy's remove_on names the check,
// in words: "the session", or "nothing (why)" for a check that targets
// nothing, which the policy then may not name in remove_on; sessionaudit
// checks prints it). A line starting with "--"
// and two or more spaces continues the previous value. The rest of the file
// is one SELECT returning the finding columns, in this order:
//
//	severity VARCHAR, user_id VARCHAR, username VARCHAR, session_id VARCHAR,
//	source_ip VARCHAR, observed_at TIMESTAMP, detail VARCHAR,
//	target_kind VARCHAR, target_id VARCHAR
//
// target_kind is 'login' (the session families that login created;
// target_id may list several logins, separated by spaces), 'family' (the
// sessions sharing that parent_id; target_id may list several families),
// 'session', or NULL when the finding proposes no removal. Knobs reach the query as
// getvariable('<key>') or as tables named policy_<key>; getvariable('as_of')
// is the audit's clock. analyze.Run also provides, on the run's connection:
//
//   - ip_info(ip, network, trusted, denied, denied_by): every source IP,
//     classified by the policy's networks; join it to judge an IP;
//   - untrusted_successes (a view: successful logins from untrusted IPs,
//     with login_row, the login's rowid, and country_key), live_families
//     (one row per live session family, described by its earliest session),
//     the tables live_family_origins and named_logins it is built from, and
//     the views live_session_of_login, families_of_setup_login (the
//     families a Setup download's login began) and families_of_reused_login
//     (the reused families a login began, whose sessions name a later one);
//   - live_companions (the API session a UI login creates beside its UI
//     session), login_history_stretches (the spans the login exports cover
//     without a gap) and families_missing_login (the families whose login
//     the history lacks, with when each began);
//   - getvariable('logins_without_ids'): whether some logins have no
//     Salesforce Id (keyed 'row:…', from a Setup download);
//   - the macros is_live, distance_km, count_unit, human_duration,
//     human_seconds, whole_duration, fmt_time, fmt_time_after, fmt_span,
//     fmt_count, fmt_none, fmt_km, past_limit, success_moment,
//     began_session, place_name, user_name and few_of (see
//     analyze/prelude.sql), and severity_rank, which analyze/run.go creates
//     from the severities.
package queries

import "embed"

// FS holds every check file.
//
//go:embed *.sql
var FS embed.FS
