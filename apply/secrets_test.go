package apply

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
