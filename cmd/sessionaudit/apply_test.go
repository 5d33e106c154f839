package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sessionaudit/sessionaudit/apply"
)

// removalsHeader begins a removal list as audit writes it; oneRowList is
// such a list of one session, not yet reviewed.
const (
	removalsHeader = "session_id,user_id,username,session_type,source_ip,created,checks,severity,reason,approve\n"
	oneRowList     = removalsHeader + "0AkXy0000000001,005Qz0000000001,u@x.com,UI,203.0.113.7,2026-11-26T08:02:00Z,impossible_travel,high,r,\n"
)

// runWithEnv runs the command in-process with the given environment.
func runWithEnv(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, stdio{in: strings.NewReader(""), out: &out, err: &errb, getenv: func(k string) string { return env[k] }})
	return code, out.String(), errb.String()
}

// approvedOneRowList writes oneRowList, its row marked yes, into a new folder
// and approves it as alice; it returns the list's path.
func approvedOneRowList(t *testing.T) string {
	t.Helper()
	list := filepath.Join(t.TempDir(), "removals.csv")
	mustWriteFile(t, list, strings.TrimSuffix(oneRowList, "\n")+"yes\n")
	if code, _, stderr := runCLI(t, "approve", "--removals", list, "--by", "alice"); code != exitOK {
		t.Fatalf("approve: exit %d: %s", code, stderr)
	}
	return list
}

// runWithOrg runs the command in-process with the given environment,
// talking to an org through client, and never waiting between retries.
func runWithOrg(t *testing.T, env map[string]string, client *http.Client, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, stdio{in: strings.NewReader(""), out: &out, err: &errb,
		getenv: func(k string) string { return env[k] },
		org: func(o *apply.OrgOptions) {
			o.HTTPClient = client
			o.Sleep = func(ctx context.Context, d time.Duration) error { return ctx.Err() }
		}})
	return code, out.String(), errb.String()
}

// TestApplyWiring checks the exit codes of approve, apply and verify for the
// cases that need no org: every refusal is exit 2 and says why.
func TestApplyWiring(t *testing.T) {
	dir := t.TempDir()
	list := filepath.Join(dir, "removals.csv")
	content := removalsHeader +
		"0AkXy0000000001,005Qz0000000001,'=u@x.com,UI,203.0.113.7,2026-11-26T08:02:00Z,impossible_travel,high,r,\n" +
		"0AkXy0000000002,005Qz0000000001,'=u@x.com,UI,203.0.113.7,2026-11-26T08:03:00Z,impossible_travel,high,r,\n"
	mustWriteFile(t, list, content)
	// Credentials that would fail if anything tried to use them: a refusal must come first.
	creds := map[string]string{"SF_INSTANCE_URL": "https://org.invalid", "SF_ACCESS_TOKEN": "00D!fake"}
	steps := []struct {
		name string
		env  map[string]string
		args []string
		code int
		want string
	}{
		{"apply needs --removals", nil, []string{"apply", "--execute"}, exitUsage, "--removals is required"},
		{"execute without credentials or approval", nil, []string{"apply", "--removals", list, "--execute"}, exitUsage, "has no approval"},
		{"execute without approval", creds, []string{"apply", "--removals", list, "--execute"}, exitUsage, "has no approval"},
		{"verify without approval", creds, []string{"verify", "--removals", list}, exitUsage, "approval"},
		{"verify takes --max-api-share, as apply does", creds, []string{"verify", "--removals", list, "--max-api-share", "1.5"}, exitUsage, "--max-api-share 1.5 must be above 0 and at most 1"},
		{"approve", nil, []string{"approve", "--removals", list, "--by", "alice", "--expires", "1h"}, exitOK, "Approved 2 sessions"},
		{"execute without credentials", nil, []string{"apply", "--removals", list, "--execute"}, exitUsage, "no Salesforce credentials"},
		{"dry run without credentials", nil, []string{"apply", "--removals", list}, exitOK, "2 to remove"},
		{"execute over --max", creds, []string{"apply", "--removals", list, "--execute", "--max", "1", "--api-version", "66.0"}, exitUsage, "2 approved sessions remain, more than --max 1"},
		{"bad api version", creds, []string{"apply", "--removals", list, "--api-version", "66"}, exitUsage, "--api-version"},
	}
	for _, s := range steps {
		code, stdout, stderr := runWithEnv(t, s.env, s.args...)
		if code != s.code || !strings.Contains(stdout+stderr, s.want) {
			t.Errorf("%s: exit %d, output %q; want exit %d and %q", s.name, code, stdout+stderr, s.code, s.want)
		}
	}

	// A list edited after approval is refused.
	mustWriteFile(t, list, strings.Replace(content, "high", "low", 1))
	code, _, stderr := runWithEnv(t, creds, "apply", "--removals", list, "--execute")
	if code != exitUsage || !strings.Contains(stderr, "changed after alice approved it") {
		t.Errorf("tampered list: exit %d, stderr %q; want exit 2 and a refusal", code, stderr)
	}
	// Its plan says why on the rows, not "not approved", which reads as never approved.
	code, stdout, _ := runCLI(t, "apply", "--removals", list)
	if code != exitOK || strings.Count(stdout, "skip    the list changed after it was approved\n") != 2 || strings.Contains(stdout, "not approved") {
		t.Errorf("tampered list's plan: exit %d, stdout %q; want every row skipped as changed after approval", code, stdout)
	}
}

// TestApproveNothing checks that approve refuses a list that approves
// nothing with exit 2, saying why in plain words, and writes no approval.
func TestApproveNothing(t *testing.T) {
	dir := t.TempDir()
	row := func(n, approve string) string {
		return "0AkXy000000000" + n + ",005Qz0000000001,u@x.com,UI,203.0.113.7,2026-11-26T08:02:00Z,impossible_travel,high,r," + approve + "\n"
	}
	tests := []struct {
		name, list string
		code       int
		want       string
	}{
		{"every row no", removalsHeader + row("1", "no") + row("2", "N"), exitUsage, "is marked no, so nothing is approved"},
		{"no and undecided", removalsHeader + row("1", "n") + row("2", ""), exitUsage, "is marked yes or contain (1 marked no, the rest empty), so nothing is approved"},
		{"one yes among noes", removalsHeader + row("1", "no") + row("2", "yes"), exitOK, "Approved 1 session of"}, // the near miss
	}
	for _, tc := range tests {
		list := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".csv")
		mustWriteFile(t, list, tc.list)
		code, stdout, stderr := runCLI(t, "approve", "--removals", list, "--by", "alice")
		if code != tc.code || !strings.Contains(stdout+stderr, tc.want) {
			t.Errorf("%s: got exit %d and output %q, want exit %d and %q", tc.name, code, stdout+stderr, tc.code, tc.want)
		}
		if _, err := os.Stat(list + ".approval.json"); (err == nil) != (tc.code == exitOK) {
			t.Errorf("%s: got %v for the approval file, want one only when approved", tc.name, err)
		}
	}
}

// An approver's name with a line break or an escape code is refused before
// anything is written, escaped in the refusal; a name with spaces and
// accents is the near miss.
func TestApproveByOnOneLine(t *testing.T) {
	list := filepath.Join(t.TempDir(), "removals.csv")
	mustWriteFile(t, list, oneRowList)
	for _, tc := range []struct{ by, want string }{
		{"alice\nApproved 99 sessions", `--by alice\x0aApproved 99 sessions: give the approver's name on one line`},
		{"alice\x1b[2J", `--by alice\x1b[2J: give the approver's name on one line`},
		{"bob\xff", `--by bob\xff: give the approver's name on one line`},
		{"alice\u202ecba", `--by alice\u202ecba: give the approver's name on one line`},
		{"alice\u2028Approved 99 sessions", `--by alice\u2028Approved 99 sessions: give the approver's name on one line`},
	} {
		code, stdout, stderr := runCLI(t, "approve", "--removals", list, "--by", tc.by)
		if code != exitUsage || !strings.Contains(stderr, tc.want) || stdout != "" {
			t.Errorf("--by %q: got exit %d, stdout %q, stderr %q; want exit 2 and %q", tc.by, code, stdout, stderr, tc.want)
		}
		if _, err := os.Stat(list + ".approval.json"); err == nil {
			t.Fatalf("--by %q: an approval was written", tc.by)
		}
	}
	if code, stdout, stderr := runCLI(t, "approve", "--removals", list, "--by", "Zoë Durand (SecOps)"); code != exitOK || !strings.Contains(stdout, "by Zoë Durand (SecOps) until") {
		t.Errorf("a plain name: got exit %d, stdout %q, stderr %q; want it approved", code, stdout, stderr)
	}
}

// An --only file the list does not match is named in the refusal.
func TestApproveNamesTheIdFile(t *testing.T) {
	dir := t.TempDir()
	list := filepath.Join(dir, "removals.csv")
	mustWriteFile(t, list, oneRowList)
	ids := filepath.Join(dir, "ids.txt")
	for _, tc := range []struct{ name, ids, want string }{
		{"an Id not in the list", "0AkXy0000000099\n", "session 0AkXy0000000099KAA, listed in the Id file " + ids + ", is not in " + list},
		{"no Id", "# none today\n", "the Id file " + ids + " lists no session, so nothing is approved"},
	} {
		mustWriteFile(t, ids, tc.ids)
		code, stdout, stderr := runCLI(t, "approve", "--removals", list, "--by", "alice", "--only", ids)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%s: got exit %d, stdout %q, stderr %q; want exit 2 and %q", tc.name, code, stdout, stderr, tc.want)
		}
	}
}

// TestApproveExpires checks that --expires takes durations as the policy
// writes them, days included, and that a value it cannot read is refused
// saying which forms it takes.
func TestApproveExpires(t *testing.T) {
	list := filepath.Join(t.TempDir(), "removals.csv")
	mustWriteFile(t, list, oneRowList)
	tests := []struct {
		in   string
		want time.Duration // 0: refused
		msg  string
	}{
		{"2d", 48 * time.Hour, ""},
		{"1d12h", 36 * time.Hour, ""},
		{"90m", 90 * time.Minute, ""}, // the near miss: what the flag took before
		{"2x", 0, `--expires "2x": not a duration: write one such as 30m, 24h, 2d or 1d12h`},
		{"-1h", 0, `--expires "-1h": not a duration`},
		{"0s", 0, "--expires 0s is shorter than a minute"},
		{"500ms", 0, "--expires 500ms is shorter than a minute: an approval must last until apply runs"},
		{"59s", 0, "--expires 59s is shorter than a minute"},
		{"1m", time.Minute, ""}, // the near miss
	}
	for _, tc := range tests {
		os.Remove(list + ".approval.json")
		code, _, stderr := runCLI(t, "approve", "--removals", list, "--by", "alice", "--expires", tc.in)
		if tc.want == 0 {
			if code != exitUsage || !strings.Contains(stderr, tc.msg) {
				t.Errorf("--expires %s: got exit %d and stderr %q, want exit 2 and %q", tc.in, code, stderr, tc.msg)
			}
			continue
		}
		b, err := os.ReadFile(list + ".approval.json")
		var a struct {
			ApprovedAt time.Time `json:"approved_at"`
			ExpiresAt  time.Time `json:"expires_at"`
		}
		if code != exitOK || err != nil || json.Unmarshal(b, &a) != nil {
			t.Fatalf("--expires %s: got exit %d, stderr %q and approval %q (%v), want one written", tc.in, code, stderr, b, err)
		}
		if a.ExpiresAt.Sub(a.ApprovedAt) != tc.want {
			t.Errorf("--expires %s: got an approval lasting %s, want %s", tc.in, a.ExpiresAt.Sub(a.ApprovedAt), tc.want)
		}
	}
}

// TestUnusableCredentialURLs checks that an org URL carrying a credential
// is refused with exit 2 by every command that reads credentials, saying
// what is wrong without repeating it.
func TestUnusableCredentialURLs(t *testing.T) {
	// The credentials are read once the list and its approval pass.
	dir := t.TempDir()
	content := oneRowList
	list, unapproved := filepath.Join(dir, "removals.csv"), filepath.Join(dir, "unapproved.csv")
	mustWriteFile(t, list, content)
	mustWriteFile(t, unapproved, content)
	if code, _, stderr := runCLI(t, "approve", "--removals", list, "--by", "alice"); code != exitOK {
		t.Fatalf("approve: exit %d, stderr %q", code, stderr)
	}
	frontdoor := map[string]string{"SF_ACCESS_TOKEN": "00D!fake", "SF_INSTANCE_URL": "https://acme.my.salesforce.com/secur/frontdoor.jsp?sid=00Ds3cr3t"}
	userInfo := map[string]string{"SF_CLIENT_ID": "c", "SF_CLIENT_SECRET": "s", "SF_INSTANCE_URL": "https://admin:Passw0rds3cr3t@acme.my.salesforce.com"}
	slash := map[string]string{"SF_ACCESS_TOKEN": "00D!fake", "SF_INSTANCE_URL": "https://org.invalid/"}
	// A token read from a file with its CRLF: no request could carry it.
	lineEnd := map[string]string{"SF_ACCESS_TOKEN": "00D!fakes3cr3ttoken\r", "SF_INSTANCE_URL": "https://org.invalid"}
	const must = "SF_INSTANCE_URL must be https://host with no path, query or user info: it "
	steps := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"apply, a frontdoor URL", frontdoor, []string{"apply", "--removals", list, "--execute"}, must + "has a query"},
		{"dry run, a frontdoor URL", frontdoor, []string{"apply", "--removals", list}, must + "has a query"},
		{"verify, a frontdoor URL", frontdoor, []string{"verify", "--removals", list}, must + "has a query"},
		{"apply, user info", userInfo, []string{"apply", "--removals", list, "--execute"}, must + "has user info"},
		{"verify, user info", userInfo, []string{"verify", "--removals", list}, must + "has user info"},
		{"apply, a token with a line end", lineEnd, []string{"apply", "--removals", list, "--execute"}, "SF_ACCESS_TOKEN holds a space, line end or control character"},
		{"verify, a token with a line end", lineEnd, []string{"verify", "--removals", list}, "SF_ACCESS_TOKEN holds a space, line end or control character"},
		// A near miss: a trailing slash is fine, so the missing approval is what stops apply.
		{"apply, a trailing slash", slash, []string{"apply", "--removals", unapproved, "--execute"}, "has no approval"},
	}
	for _, s := range steps {
		code, stdout, stderr := runWithEnv(t, s.env, s.args...)
		if code != exitUsage || !strings.Contains(stderr, s.want) {
			t.Errorf("%s: exit %d, stderr %q; want exit 2 and %q", s.name, code, stderr, s.want)
		}
		if strings.Contains(stdout+stderr, "s3cr3t") {
			t.Errorf("%s: the output repeats a secret: %q", s.name, stdout+stderr)
		}
	}
}

// TestListCheckedBeforeCredentials checks that apply --execute and verify
// report a missing, unreadable or changed list, or a missing approval,
// before missing or unusable credentials: the first thing wrong is what the
// user is told. An approved list (the near miss) gets to the credentials.
func TestListCheckedBeforeCredentials(t *testing.T) {
	dir := t.TempDir()
	content := oneRowList
	approved, changed, unapproved := filepath.Join(dir, "approved.csv"), filepath.Join(dir, "changed.csv"), filepath.Join(dir, "unapproved.csv")
	missing, malformed := filepath.Join(dir, "missing.csv"), filepath.Join(dir, "malformed.csv")
	for _, p := range []string{approved, changed, unapproved} {
		mustWriteFile(t, p, content)
	}
	mustWriteFile(t, malformed, "session_id,user_id\n")
	badApproval := filepath.Join(dir, "bad-approval.csv")
	mustWriteFile(t, badApproval, content)
	mustWriteFile(t, badApproval+".approval.json", "{not json")
	for _, p := range []string{approved, changed} {
		if code, _, stderr := runCLI(t, "approve", "--removals", p, "--by", "alice"); code != exitOK {
			t.Fatalf("approve %s: exit %d, stderr %q", p, code, stderr)
		}
	}
	mustWriteFile(t, changed, strings.Replace(content, "high", "low", 1))
	unusable := map[string]string{"SF_ACCESS_TOKEN": "00D!fake", "SF_INSTANCE_URL": "https://admin:s3cr3t@org.invalid"}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"verify, a missing list", []string{"verify", "--removals", missing}, "reading the removal list: open " + missing + ": no such file"},
		{"verify, no approval", []string{"verify", "--removals", unapproved}, "reading the approval: open " + unapproved + ".approval.json"},
		{"verify, an approval that is not one", []string{"verify", "--removals", badApproval}, badApproval + ".approval.json: invalid character"},
		{"apply, an approval that is not one", []string{"apply", "--removals", badApproval, "--execute"}, badApproval + ".approval.json: invalid character"},
		{"apply, a missing list", []string{"apply", "--removals", missing, "--execute"}, "reading the removal list"},
		{"apply, a malformed list", []string{"apply", "--removals", malformed, "--execute"}, "header is"},
		{"apply, no approval", []string{"apply", "--removals", unapproved, "--execute"}, "has no approval"},
		{"apply, a changed list", []string{"apply", "--removals", changed, "--execute"}, "changed after alice approved it"},
		{"verify, an approved list", []string{"verify", "--removals", approved}, "credentials"},
		{"apply, an approved list", []string{"apply", "--removals", approved, "--execute"}, "credentials"},
	}
	for _, tc := range tests {
		for _, env := range []map[string]string{nil, unusable} {
			want := tc.want
			if want == "credentials" && env == nil {
				want = "no Salesforce credentials"
			} else if want == "credentials" {
				want = "SF_INSTANCE_URL must be https://host"
			}
			code, stdout, stderr := runWithEnv(t, env, tc.args...)
			if code != exitUsage || !strings.Contains(stderr, want) {
				t.Errorf("%s (credentials %v): got exit %d and stderr %q, want exit 2 and %q", tc.name, env != nil, code, stderr, want)
			}
			if strings.Contains(stdout+stderr, "s3cr3t") {
				t.Errorf("%s: the output repeats a secret: %q", tc.name, stdout+stderr)
			}
		}
	}
}

// TestApplyMaxAPIShare checks that --max-api-share takes only a share in
// (0, 1]: NaN fails every comparison, so a range check written the other
// way round let it through and switched the API-share guard off.
func TestApplyMaxAPIShare(t *testing.T) {
	list := filepath.Join(t.TempDir(), "removals.csv")
	mustWriteFile(t, list, oneRowList)
	tests := []struct {
		share string
		code  int
	}{
		{"NaN", exitUsage}, {"nan", exitUsage}, {"Inf", exitUsage}, {"-Inf", exitUsage},
		{"0", exitUsage}, {"-0.1", exitUsage}, {"1.0001", exitUsage},
		// Near misses: the ends and the middle of the range plan as usual.
		{"1", exitOK}, {"0.5", exitOK}, {"0.001", exitOK},
	}
	for _, tc := range tests {
		code, _, stderr := runCLI(t, "apply", "--removals", list, "--max-api-share", tc.share)
		if code != tc.code {
			t.Errorf("--max-api-share %s: got exit %d, want %d; stderr %q", tc.share, code, tc.code, stderr)
		}
		if tc.code == exitUsage && !strings.Contains(stderr, "--max-api-share") {
			t.Errorf("--max-api-share %s: got stderr %q, want it to name --max-api-share", tc.share, stderr)
		}
	}
}

// TestApplyUnusableList checks that apply, like approve, exits 2 for a
// removal list it cannot read or decode, with or without --execute, and
// leaves no lock file beside a list that is not there.
func TestApplyUnusableList(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "removals.csv")
	mustWriteFile(t, good, oneRowList)
	badHeader := filepath.Join(dir, "bad-header.csv")
	mustWriteFile(t, badHeader, strings.Replace(removalsHeader, "approve", "approved", 1))
	missing := filepath.Join(dir, "missing.csv")
	tests := []struct {
		name, list string
		code       int
		want       string
	}{
		{"missing", missing, exitUsage, "no such file"},
		{"a folder", dir, exitUsage, "reading the removal list"},
		{"wrong header", badHeader, exitUsage, "header is"},
		{"a readable list", good, exitOK, "1 row:"}, // the near miss
	}
	for _, tc := range tests {
		for _, execute := range []bool{false, true} {
			if execute && tc.code == exitOK {
				continue // executing needs credentials; the plan is enough
			}
			args := []string{"apply", "--removals", tc.list}
			var env map[string]string
			if execute {
				// Credentials that would fail if used: the list must be refused first.
				args = append(args, "--execute")
				env = map[string]string{"SF_INSTANCE_URL": "https://org.invalid", "SF_ACCESS_TOKEN": "00D!fake"}
			}
			code, stdout, stderr := runWithEnv(t, env, args...)
			if code != tc.code || !strings.Contains(stdout+stderr, tc.want) {
				t.Errorf("%s (execute %v): got exit %d, output %q; want exit %d and %q", tc.name, execute, code, stdout+stderr, tc.code, tc.want)
			}
		}
	}
	if _, err := os.Stat(missing + ".lock"); err == nil {
		t.Errorf("got %s.lock, want no lock file beside a missing list", missing)
	}
}

// A dry run with part of a credential set (its first variable or not)
// plans without the org, as with none, and its note says what the set
// lacks; with none, it names nothing.
func TestApplyPlanSaysWhatPartialCredentialsLack(t *testing.T) {
	list := filepath.Join(t.TempDir(), "removals.csv")
	mustWriteFile(t, list, oneRowList)
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"client credentials without their secret", map[string]string{"SF_CLIENT_ID": "c", "SF_INSTANCE_URL": "https://acme.my.salesforce.com"},
			"were not looked up: SF_INSTANCE_URL is set but SF_ACCESS_TOKEN is not set; SF_CLIENT_ID is set but SF_JWT_KEY_FILE and SF_USERNAME are not set; SF_CLIENT_ID and SF_INSTANCE_URL are set but SF_CLIENT_SECRET is not set."},
		{"a token without its instance", map[string]string{"SF_ACCESS_TOKEN": "00D!s3cr3t"}, "were not looked up: SF_ACCESS_TOKEN is set but SF_INSTANCE_URL is not set."},
		{"near miss: nothing set", nil, "were not looked up.\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runWithEnv(t, tc.env, "apply", "--removals", list)
			if code != exitOK || !strings.Contains(stdout, tc.want) {
				t.Errorf("got exit %d, stdout %q, stderr %q; want exit 0 and %q", code, stdout, stderr, tc.want)
			}
			if strings.Contains(stdout+stderr, "s3cr3t") {
				t.Errorf("the output repeats a secret: %q", stdout+stderr)
			}
		})
	}
}

// TestApplyRefusedCredentials checks that credentials the org's token
// endpoint refuses (400 invalid_client, or a 404 where the instance URL is
// not the org's) end apply --execute and verify with
// exit 2, as the help says of unusable credentials, naming the refusal and
// never the secret; a 503 there (the near miss) is the org's trouble: a
// stop once the retries run out (exit 4, to run again later).
func TestApplyRefusedCredentials(t *testing.T) {
	const secret = "s3cr3t-client-value"
	for _, tc := range []struct {
		status int
		body   string
		code   int
		want   string
	}{
		{http.StatusBadRequest, `{"error":"invalid_client","error_description":"invalid client credentials"}`, exitUsage, "HTTP 400 invalid_client"},
		{http.StatusNotFound, `{}`, exitUsage, "HTTP 404"}, // SF_INSTANCE_URL is not the org's
		{http.StatusServiceUnavailable, `{}`, exitPartial, "HTTP 503"},
	} {
		org := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/services/oauth2/token" {
				t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(tc.status)
			io.WriteString(w, tc.body)
		}))
		defer org.Close()
		list := approvedOneRowList(t)
		env := map[string]string{"SF_INSTANCE_URL": org.URL, "SF_CLIENT_ID": "client", "SF_CLIENT_SECRET": secret}
		for _, args := range [][]string{{"apply", "--removals", list, "--execute"}, {"verify", "--removals", list}} {
			code, stdout, stderr := runWithOrg(t, env, org.Client(), args...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Errorf("%s, HTTP %d: got exit %d and stderr %q, want exit %d saying %q", args[0], tc.status, code, stderr, tc.code, tc.want)
			}
			if strings.Contains(stdout+stderr, secret) {
				t.Errorf("%s: the client secret was written: %q", args[0], stdout+stderr)
			}
		}
	}
}

// TestApplyPartialExitsFour runs apply --execute against an org that refuses
// the one approved session's removal: exit 4, the summary on stdout, and a
// line on stderr saying that not everything was done (a cron job may mail
// only its stderr).
func TestApplyPartialExitsFour(t *testing.T) {
	var deletes int
	var org *httptest.Server
	org = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == "/services/oauth2/token":
			io.WriteString(w, `{"access_token":"00Dfake!tokenSECRET","instance_url":"`+org.URL+`","token_type":"Bearer"}`)
		case r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/query"):
			io.WriteString(w, `{"totalSize":0,"done":true,"records":[]}`)
		case r.Method == http.MethodDelete && strings.HasSuffix(r.URL.Path, "/composite/sobjects"):
			deletes++
			io.WriteString(w, `[{"id":null,"success":false,"errors":[{"statusCode":"INSUFFICIENT_ACCESS_OR_READONLY","message":"insufficient access rights on object id","fields":[]}]}]`)
		default:
			t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
			http.NotFound(w, r)
		}
	}))
	defer org.Close()
	list := approvedOneRowList(t)
	env := map[string]string{"SF_INSTANCE_URL": org.URL, "SF_CLIENT_ID": "client", "SF_CLIENT_SECRET": "s3cr3t"}
	code, stdout, stderr := runWithOrg(t, env, org.Client(), "apply", "--removals", list, "--execute")
	if deletes == 0 {
		t.Fatalf("apply sent no removal (exit %d, stderr %q)", code, stderr)
	}
	if code != exitPartial || !strings.Contains(stderr, "not everything approved was done") {
		t.Errorf("got exit %d and stderr %q, want exit %d saying not everything approved was done", code, stderr, exitPartial)
	}
	if !strings.Contains(stdout, "INSUFFICIENT_ACCESS_OR_READONLY") {
		t.Errorf("the summary does not name the org's refusal:\n%s", stdout)
	}
	if strings.Contains(stdout+stderr, "s3cr3t") || strings.Contains(stdout+stderr, "tokenSECRET") {
		t.Errorf("a secret was written:\n%s\n%s", stdout, stderr)
	}
}

// TestOrgDownExitsFour runs apply --execute and verify against an org that
// answers HTTP 500 to every query: a stop (exit 4) saying the org is down,
// as the same outage on a delete is, not exit 1, which is for a local
// failure or a defect.
func TestOrgDownExitsFour(t *testing.T) {
	org := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, `[{"errorCode":"UNKNOWN_EXCEPTION","message":"An unexpected error occurred"}]`)
	}))
	defer org.Close()
	list := approvedOneRowList(t)
	env := map[string]string{"SF_INSTANCE_URL": org.URL, "SF_ACCESS_TOKEN": "00Dfake!tokenSECRET"}
	for _, args := range [][]string{{"apply", "--removals", list, "--execute"}, {"verify", "--removals", list}} {
		code, stdout, stderr := runWithOrg(t, env, org.Client(), args...)
		want := "stopped: ORG_UNAVAILABLE: "
		if code != exitPartial || !strings.Contains(stderr, want) || !strings.Contains(stderr, "HTTP 500 UNKNOWN_EXCEPTION to 5 attempts in a row") {
			t.Errorf("%s: exit %d, stderr %q; want exit %d saying %q and what the org answered", args[0], code, stderr, exitPartial, want)
		}
		if strings.Contains(stdout+stderr, "tokenSECRET") {
			t.Errorf("%s: the token was written:\n%s\n%s", args[0], stdout, stderr)
		}
	}
}

// TestUntrustedCertificateExitsTwo runs apply --execute and verify against
// an org whose certificate this machine does not trust (a proxy
// intercepting TLS): exit 2 at once, as for unusable credentials, saying
// that the org's certificate was not trusted and why, with no retry.
func TestUntrustedCertificateExitsTwo(t *testing.T) {
	org := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("a request reached an org whose certificate is not trusted: %s %s", r.Method, r.URL.Path)
	}))
	defer org.Close()
	list := approvedOneRowList(t)
	env := map[string]string{"SF_INSTANCE_URL": org.URL, "SF_ACCESS_TOKEN": "00Dfake!tokenSECRET"}
	want := "the certificate of " + org.Listener.Addr().String() + " was not trusted (x509: certificate signed by unknown authority)"
	for _, args := range [][]string{{"apply", "--removals", list, "--execute"}, {"verify", "--removals", list}} {
		code, stdout, stderr := runWithOrg(t, env, &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: x509.NewCertPool()}}}, args...)
		if code != exitUsage || !strings.Contains(stderr, want) || strings.Contains(stderr, "retrying") {
			t.Errorf("%s: exit %d, stderr %q; want exit %d at once saying %q", args[0], code, stderr, exitUsage, want)
		}
		if strings.Contains(stdout+stderr, "tokenSECRET") {
			t.Errorf("%s: the token was written:\n%s\n%s", args[0], stdout, stderr)
		}
	}
}

// TestREADMEExitTableSaysWhenOrgDownStops: README's exit-status row for
// apply says what apply's help says of the org down, which stops the run at
// its first request, or at two requests in a row, and not at any request
// alone (a batch of deletes the org fails at every attempt is recorded
// failed and the run goes on).
func TestREADMEExitTableSaysWhenOrgDownStops(t *testing.T) {
	readme, err := os.ReadFile(repoPath("README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, table, _ := strings.Cut(string(readme), "### Exit status\n")
	var row string
	for _, line := range strings.Split(table, "\n") {
		if strings.HasPrefix(line, "| apply |") {
			row = line
			break
		}
	}
	if !strings.Contains(applyHelp, "attempt of the first request, or of two requests in a row") {
		t.Fatalf("apply's help no longer says when the org down stops the run:\n%s", applyHelp)
	}
	if !strings.Contains(row, "every attempt of the first request, or of two requests in a row") || strings.Contains(row, "any request") {
		t.Errorf("README's exit-status row for apply does not say what apply's help says of the org down:\n%s", row)
	}
}
