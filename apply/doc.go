// Package apply is the only code that talks to a Salesforce org. It reads the
// removal list that `sessionaudit audit` writes, records an analyst's
// approval of it, ends the approved sessions exactly once (journalled, locked
// and resumable), contains compromised users on request, and verifies later
// that the sessions are gone.
//
// Every file it writes sits beside the removal list:
//
//	removals.csv.approval.json  the approval (Approve)
//	removals.csv.journal        append-only JSON lines, one per request and outcome (Run)
//	removals.csv.lock           flock held by a running apply, holding its PID
//	removals.csv.results.csv    one row per session with its outcome (Run)
package apply
