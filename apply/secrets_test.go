package apply

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSecretsNeverWritten runs approve, a dry run, an execute with
// containment (so the org answers a password reset with a new password), a
// re-authentication and failing logins, and then looks for every token, the
// client secret and the new password in everything that was printed,
// returned or written.
func TestSecretsNeverWritten(t *testing.T) {
	rs := rows(4)
	rs[0].approve, rs[1].approve = "contain", "yes"
	f := newFixture(t, rs)
	f.org.userLogins[uid(0)] = lid(0)
	f.org.mayContain[uid(0)] = true
	a := f.approve(nil)
	_ = a
	var log bytes.Buffer
	var printed bytes.Buffer
	o := f.options(true)
	o.Contain = true
	o.Org.Log = &log
	o.Org.Credentials = ClientCredentials{ClientID: f.org.clientID, ClientSecret: NewSecret(f.org.clientSecret), InstanceURL: f.org.srv.URL}
	dry := o
	dry.Execute = false
	rep, err := Run(context.Background(), dry)
	fmt.Fprintln(&printed, err)
	rep.WritePlan(&printed)
	// Force a retry and a re-authentication so their messages are written too.
	f.org.inject("query", fault{status: 503, code: "SERVER_UNAVAILABLE"}, fault{then: func() { f.org.token = "expired" }})
	rep, err = Run(context.Background(), o)
	fmt.Fprintln(&printed, err)
	rep.WriteSummary(&printed)
	fmt.Fprintf(&printed, "%v %+v %#v\n", rep, rep, o)
	if !rep.Complete() || f.org.resets[uid(0)] != 1 {
		t.Fatalf("run incomplete: %v, contain %+v", outcomes(rep.Results), rep.Contain)
	}

	// Failures: a wrong client secret, a token endpoint error and a failed
	// password reset all quote the org's answer at most by its code.
	bad := o
	bad.Org.Credentials = ClientCredentials{ClientID: f.org.clientID, ClientSecret: NewSecret("wrong"), InstanceURL: f.org.srv.URL}
	_, err = Verify(context.Background(), VerifyOptions{Removals: f.list, Org: bad.Org})
	fmt.Fprintln(&printed, err)
	f.org.inject("token", fault{status: 500, code: "server_error"})
	_, err = Verify(context.Background(), VerifyOptions{Removals: f.list, Org: o.Org})
	fmt.Fprintln(&printed, err)
	if !strings.Contains(printed.String(), "HTTP 400 invalid_grant") {
		t.Errorf("the token error lost its code: %s", printed.String())
	}

	secrets := []string{f.org.clientSecret, f.org.newPassword, "AccessTokenSECRET"}
	outputs := map[string]string{"log": log.String(), "printed": printed.String()}
	files, _ := filepath.Glob(filepath.Join(f.dir, "*"))
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		outputs[filepath.Base(p)] = string(b)
	}
	if len(outputs) < 6 {
		t.Errorf("only %d outputs to search: %v", len(outputs), files)
	}
	for name, text := range outputs {
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s contains the secret %q", name, s)
			}
		}
	}
	if !strings.Contains(log.String(), "logging in again") || !strings.Contains(log.String(), "retrying") {
		t.Errorf("log lacks the retry and re-authentication it should report: %s", log.String())
	}
}

func TestRedact(t *testing.T) {
	c := &client{known: []Secret{NewSecret("00Dxx0000001gPL!AQ8AQtok.en_1"), NewSecret("client-SECRET-value"), {}, NewSecret("y")}}
	tests := []struct{ in, want string }{
		{"echo 00Dxx0000001gPL!AQ8AQtok.en_1", "echo [REDACTED]"},
		{"next?sid=00Dxx0000001gPL%21AQ8AQtok.en_1&x=1", "next?sid=[REDACTED]&x=1"},
		{"bad secret client-SECRET-value", "bad secret [REDACTED]"},
		{"Authorization: Bearer someoneElsesToken123", "Authorization: Bearer [REDACTED]"},
		{"session 00DAb0000002hQM!ARsome.Other_Session expired", "session [REDACTED] expired"},
		{"bad token xx0000001gPL!AQ8AQtok.en_1 given", "bad token xx0000001gPL![REDACTED] given"},
		{"bad token AQ8AQtok.en_1", "bad token [REDACTED]"},
		// Near misses stay as they are: Ids, the word bearer, part of a
		// secret, and words holding an empty or too short known secret.
		{"org 00Dxx0000001gPL, session 0AkXy0000000001AAA", "org 00Dxx0000001gPL, session 0AkXy0000000001AAA"},
		{"the bearer of bad news", "the bearer of bad news"},
		{"client-SECRET-valu", "client-SECRET-valu"},
		{"getting a token by client credentials", "getting a token by client credentials"},
	}
	for _, tt := range tests {
		if got := c.redact(tt.in); got != tt.want {
			t.Errorf("redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestEchoedSecretsRedacted has the org repeat the access token where a
// careless proxy or a frontdoor URL would put it: in an error message, on
// every retry, in a nextRecordsUrl's query. What the org said must still
// reach the error or the log, with the token redacted, and the token must
// reach nothing: not the error, the log, the summary or a file.
func TestEchoedSecretsRedacted(t *testing.T) {
	slow := fault{delay: 300 * time.Millisecond, status: 503}
	tests := []struct {
		name    string
		execute bool
		verify  bool
		faults  map[string][]fault
		setup   func(o *Options)
		want    string // in the error or the log
	}{
		{name: "400 on the dry run's query",
			faults: map[string][]fault{"query": {{status: 400, code: "MALFORMED_QUERY", echo: true}}},
			want:   "the org could not be asked which session is the caller's own (HTTP 400 MALFORMED_QUERY: echo Bearer [REDACTED])"},
		{name: "400 on verify's query", verify: true,
			faults: map[string][]fault{"query": {{status: 400, code: "MALFORMED_QUERY", echo: true}}},
			want:   "querying the sessions: HTTP 400 MALFORMED_QUERY: echo Bearer [REDACTED]"},
		{name: "503 on every delete attempt", execute: true,
			faults: map[string][]fault{"delete": {{status: 503, code: "SERVER_UNAVAILABLE", echo: true},
				{status: 503, code: "SERVER_UNAVAILABLE", echo: true}, {status: 503, code: "SERVER_UNAVAILABLE", echo: true}}},
			setup: func(o *Options) { o.Org.MaxRetries = 2 },
			want:  "HTTP 503 SERVER_UNAVAILABLE: echo Bearer [REDACTED]; retrying"},
		{name: "a nextRecordsUrl with ?sid= whose page times out",
			faults: map[string][]fault{"query": {{next: "/services/data/v66.0/query/01gFAKESID-2000?sid={token}"}, slow, slow}},
			setup:  func(o *Options) { o.Org.RequestTimeout, o.Org.MaxRetries = 100*time.Millisecond, 1 },
			want:   `/services/data/v66.0/query/01gFAKESID-2000": context deadline exceeded`},
		{name: "a nextRecordsUrl off the REST API with ?sid=",
			faults: map[string][]fault{"query": {{next: "https://elsewhere.example/secur/frontdoor.jsp?sid={token}"}}},
			want:   `unexpected nextRecordsUrl "https://elsewhere.example/secur/frontdoor.jsp"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, rows(3))
			f.approve(nil)
			var log, printed bytes.Buffer
			o := f.options(tt.execute)
			o.Org.Log = &log
			if tt.setup != nil {
				tt.setup(&o)
			}
			for route, fs := range tt.faults {
				f.org.inject(route, fs...)
			}
			if tt.verify {
				_, err := Verify(context.Background(), VerifyOptions{Removals: f.list, Org: o.Org})
				fmt.Fprintln(&printed, err)
			} else {
				rep, err := Run(context.Background(), o)
				fmt.Fprintln(&printed, err)
				rep.WritePlan(&printed)
				rep.WriteSummary(&printed)
			}
			if !strings.Contains(printed.String()+log.String(), tt.want) {
				t.Errorf("got error and log\n%s%s\nwant them to contain %q", printed.String(), log.String(), tt.want)
			}
			outputs := map[string]string{"log": log.String(), "printed": printed.String()}
			files, _ := filepath.Glob(filepath.Join(f.dir, "*"))
			for _, p := range files {
				outputs[filepath.Base(p)] = mustRead(t, p)
			}
			for name, text := range outputs {
				if strings.Contains(text, "AccessTokenSECRET") || strings.Contains(text, "sid=") {
					t.Errorf("%s holds the token: %s", name, text)
				}
			}
		})
	}
}
