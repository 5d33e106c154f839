package apply

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var testKey = func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}()

func writeKey(t *testing.T, pkcs8 bool, mode os.FileMode) string {
	t.Helper()
	block := &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(testKey)}
	if pkcs8 {
		b, err := x509.MarshalPKCS8PrivateKey(testKey)
		if err != nil {
			t.Fatal(err)
		}
		block = &pem.Block{Type: "PRIVATE KEY", Bytes: b}
	}
	path := filepath.Join(t.TempDir(), "server.key")
	if err := os.WriteFile(path, pem.EncodeToMemory(block), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCredentialsFromEnv(t *testing.T) {
	key1 := writeKey(t, false, 0o600)
	key8 := writeKey(t, true, 0o400)
	open := writeKey(t, true, 0o640)
	tests := []struct {
		name string
		env  map[string]string
		want string // the credentials' String, or an error substring
	}{
		{"access token", map[string]string{"SF_INSTANCE_URL": "https://acme.my.salesforce.com", "SF_ACCESS_TOKEN": "00D!x"}, "access token for https://acme.my.salesforce.com"},
		{"token without instance", map[string]string{"SF_ACCESS_TOKEN": "00D!x"}, "SF_ACCESS_TOKEN is set but SF_INSTANCE_URL is not set"},
		{"jwt pkcs1", map[string]string{"SF_JWT_KEY_FILE": key1, "SF_CLIENT_ID": "c", "SF_USERNAME": "u@x"}, "JWT bearer for u@x via https://login.salesforce.com"},
		{"jwt pkcs8 sandbox", map[string]string{"SF_JWT_KEY_FILE": key8, "SF_CLIENT_ID": "c", "SF_USERNAME": "u@x", "SF_LOGIN_URL": "https://test.salesforce.com"}, "JWT bearer for u@x via https://test.salesforce.com"},
		{"jwt key readable by group", map[string]string{"SF_JWT_KEY_FILE": open, "SF_CLIENT_ID": "c", "SF_USERNAME": "u@x"}, "mode 0640, which lets others read it"},
		{"jwt without user", map[string]string{"SF_JWT_KEY_FILE": key1, "SF_CLIENT_ID": "c"}, "SF_USERNAME is not set"},
		{"client credentials", map[string]string{"SF_CLIENT_ID": "c", "SF_CLIENT_SECRET": "s", "SF_INSTANCE_URL": "https://acme.my.salesforce.com"}, "client credentials via https://acme.my.salesforce.com"},
		{"client credentials without id", map[string]string{"SF_CLIENT_SECRET": "s", "SF_INSTANCE_URL": "https://a"}, "SF_CLIENT_ID is not set"},
		{"nothing", map[string]string{}, "no Salesforce credentials"},
		{"client credentials without their secret", map[string]string{"SF_CLIENT_ID": "c", "SF_INSTANCE_URL": "https://acme.my.salesforce.com"},
			"SF_CLIENT_ID and SF_INSTANCE_URL are set but SF_CLIENT_SECRET is not"},
		// The first complete set wins; an incomplete one before it is ignored.
		{"stray key file beside client credentials", map[string]string{"SF_JWT_KEY_FILE": key1, "SF_CLIENT_ID": "c", "SF_CLIENT_SECRET": "s", "SF_INSTANCE_URL": "https://acme.my.salesforce.com"}, "client credentials via https://acme.my.salesforce.com"},
		{"token beside client credentials", map[string]string{"SF_ACCESS_TOKEN": "00D!x", "SF_CLIENT_ID": "c", "SF_CLIENT_SECRET": "s", "SF_INSTANCE_URL": "https://acme.my.salesforce.com"}, "access token for https://acme.my.salesforce.com"},
		{"two incomplete sets", map[string]string{"SF_JWT_KEY_FILE": key1, "SF_CLIENT_SECRET": "s"},
			"SF_JWT_KEY_FILE is set but SF_CLIENT_ID and SF_USERNAME are not set; SF_CLIENT_SECRET is set but SF_CLIENT_ID and SF_INSTANCE_URL are not set"},
		// URLs are https://host; what is wrong is said, the value is not repeated.
		{"instance URL with a trailing slash", map[string]string{"SF_INSTANCE_URL": "https://acme.my.salesforce.com/", "SF_ACCESS_TOKEN": "00D!x"}, "access token for https://acme.my.salesforce.com"},
		{"instance URL with a session in its query", map[string]string{"SF_INSTANCE_URL": "https://acme.my.salesforce.com/secur/frontdoor.jsp?sid=00Ds3cr3t", "SF_ACCESS_TOKEN": "00D!x"},
			"SF_INSTANCE_URL must be https://host with no path, query or user info: it has a query"},
		{"instance URL with a password", map[string]string{"SF_INSTANCE_URL": "https://admin:Passw0rds3cr3t@acme.my.salesforce.com", "SF_CLIENT_ID": "c", "SF_CLIENT_SECRET": "s"},
			"SF_INSTANCE_URL must be https://host with no path, query or user info: it has user info"},
		{"instance URL over http", map[string]string{"SF_INSTANCE_URL": "http://acme.my.salesforce.com", "SF_ACCESS_TOKEN": "00D!x"}, "it does not start with https://"},
		{"login URL with a path", map[string]string{"SF_JWT_KEY_FILE": key1, "SF_CLIENT_ID": "c", "SF_USERNAME": "u@x", "SF_LOGIN_URL": "https://login.salesforce.com/s3cr3t"},
			"SF_LOGIN_URL must be https://host with no path, query or user info: it has a path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := CredentialsFromEnv(func(k string) string { return tt.env[k] })
			got := ""
			if err != nil {
				got = err.Error()
			} else {
				got = fmt.Sprint(c)
			}
			if !strings.Contains(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if strings.Contains(got, "s3cr3t") {
				t.Errorf("got %q, which repeats a secret", got)
			}
		})
	}
	if _, err := CredentialsFromEnv(func(string) string { return "" }); !errors.Is(err, ErrNoCredentials) {
		t.Errorf("empty environment: %v, want ErrNoCredentials", err)
	}
	if _, err := CredentialsFromEnv(func(k string) string { return map[string]string{"SF_USERNAME": "u@x"}[k] }); !errors.Is(err, ErrNoCredentials) ||
		!strings.Contains(err.Error(), "SF_USERNAME is set but SF_JWT_KEY_FILE and SF_CLIENT_ID are not") {
		t.Errorf("a username alone: %v, want ErrNoCredentials saying what the JWT set lacks", err)
	}
}

func TestReadJWTKeyRejectsOtherPEM(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1}}), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadJWTKey(path); err == nil || !strings.Contains(err.Error(), `"CERTIFICATE"`) {
		t.Errorf("error %v, want one naming the PEM type", err)
	}
}

func TestInsecureURLsRefused(t *testing.T) {
	for _, u := range []string{"http://acme.my.salesforce.com", "acme.my.salesforce.com", "https://user:pw@acme.my.salesforce.com", ""} {
		if _, err := (AccessToken{InstanceURL: u, Token: NewSecret("t")}).login(context.Background(), nil); err == nil {
			t.Errorf("instance URL %q accepted", u)
		}
	}
}

func TestSecretRedacts(t *testing.T) {
	s := NewSecret("hunter2")
	creds := ClientCredentials{ClientID: "id", ClientSecret: s, InstanceURL: "https://a"}
	var out bytes.Buffer
	fmt.Fprintf(&out, "%v %+v %#v %s %q %x %d|", s, s, s, s, s, s, s)
	fmt.Fprintf(&out, "%v %+v %#v %s|", creds, creds, creds, &creds)
	fmt.Fprintf(&out, "%v %+v|", struct{ S Secret }{s}, []Secret{s})
	b, _ := json.Marshal(map[string]any{"s": s, "c": struct{ S Secret }{s}})
	out.Write(b)
	slog.New(slog.NewTextHandler(&out, nil)).Info("x", "secret", s, "creds", creds)
	slog.New(slog.NewJSONHandler(&out, nil)).Info("x", "secret", s)
	if strings.Contains(out.String(), "hunter2") {
		t.Errorf("secret printed: %s", out.String())
	}
	if !strings.Contains(out.String(), "[REDACTED]") {
		t.Errorf("no redaction marker in %s", out.String())
	}
	if s.Reveal() != "hunter2" {
		t.Error("Reveal lost the value")
	}
}

// TestJWTBearerFlow logs in with a signed assertion the fake org verifies,
// and logs in again after a 401.
func TestJWTBearerFlow(t *testing.T) {
	f := newFixture(t, rows(3))
	f.org.jwtKey, f.org.jwtUser = &testKey.PublicKey, "integration@acme.com"
	f.approve(nil)
	o := f.options(true)
	o.Org.Credentials = JWTBearer{ClientID: f.org.clientID, Username: "integration@acme.com", LoginURL: f.org.srv.URL, Key: testKey}
	f.org.inject("delete", fault{then: func() { f.org.token = "revoked" }, status: 401, code: "INVALID_SESSION_ID"})
	rep, err := Run(context.Background(), o)
	if err != nil || !rep.Complete() {
		t.Fatalf("err %v, outcomes %v", err, outcomes(rep.Results))
	}
	if f.org.issued != 2 {
		t.Errorf("issued %d tokens, want 2 (login, then once again after the 401)", f.org.issued)
	}

	// A 401 of the fresh token stops the run (one that worked in between
	// is renewed again: TestTokenExpiresTwice).
	f2 := newFixture(t, rows(3))
	f2.org.jwtKey, f2.org.jwtUser = &testKey.PublicKey, "integration@acme.com"
	f2.approve(nil)
	o2 := f2.options(true)
	o2.Org.Credentials = JWTBearer{ClientID: f2.org.clientID, Username: "integration@acme.com", LoginURL: f2.org.srv.URL, Key: testKey}
	f2.org.inject("delete", fault{status: 401, code: "INVALID_SESSION_ID"}, fault{status: 401, code: "INVALID_SESSION_ID"})
	rep, err = Run(context.Background(), o2)
	if err != nil || rep.Stopped == nil || rep.Stopped.Code != "INVALID_SESSION_ID" {
		t.Errorf("err %v, stopped %v, want an INVALID_SESSION_ID stop", err, rep.Stopped)
	}

	// A wrong user is refused by the token endpoint.
	o.Org.Credentials = JWTBearer{ClientID: f.org.clientID, Username: "mallory@acme.com", LoginURL: f.org.srv.URL, Key: testKey}
	if _, err := Verify(context.Background(), VerifyOptions{Removals: f.list, Org: o.Org}); err == nil || !strings.Contains(err.Error(), "HTTP 400 invalid_grant") {
		t.Errorf("err %v, want HTTP 400 invalid_grant", err)
	}
}

// TestTokenRequestTimeout has the token endpoint answer late, at the first
// login and at the login again after a 401: the request timeout bounds each
// attempt, a timed-out attempt is retried, and a run whose every attempt
// times out gives up (the first login) or stops (a login again).
func TestTokenRequestTimeout(t *testing.T) {
	// A hang lasts far longer than the run may take, however busy the
	// machine: two attempts of the 200ms request timeout, retried at once.
	const hang, bound = 10 * time.Second, 4 * time.Second
	tests := []struct {
		name    string
		relogin bool          // delay the login after a 401, not the first
		delay   time.Duration // the token endpoint's
		slow    int           // how many token requests answer late
		want    string        // the error, or the stop's code; "" for a complete run
	}{
		// The org out of reach: a stop, to resume later (ORG_UNAVAILABLE).
		{name: "first login hangs at every attempt", delay: hang, slow: 2, want: "ORG_UNAVAILABLE"},
		{name: "first login hangs once, then answers", delay: hang, slow: 1},
		{name: "login after a 401 hangs at every attempt", relogin: true, delay: hang, slow: 2, want: "LOGIN_FAILED"},
		{name: "login after a 401 hangs once, then answers", relogin: true, delay: hang, slow: 1},
		{name: "login after a 401 is slow but in time", relogin: true, delay: 20 * time.Millisecond, slow: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, o := clientCredentialsFixture(t)
			o.Org.RequestTimeout = 200 * time.Millisecond
			o.Org.MaxRetries = 1
			o.Org.Sleep = func(ctx context.Context, d time.Duration) error { return ctx.Err() }
			slow := slices.Repeat([]fault{{delay: tt.delay}}, tt.slow)
			if tt.relogin {
				// The token expires after the first query; the next logins are slow.
				f.org.inject("query", fault{then: func() {
					f.org.token = "expired"
					f.org.faults["token"] = slow
				}})
			} else {
				f.org.inject("token", slow...)
			}
			start := time.Now()
			rep, err := Run(context.Background(), o)
			if took := time.Since(start); took > bound {
				t.Errorf("the run took %s, want it bounded by two attempts of the 200ms request timeout (under %s)", took, bound)
			}
			got := stopCode(rep)
			if err != nil {
				got = err.Error()
			}
			if tt.want == "" && (got != "" || !rep.Complete()) {
				t.Errorf("got %q, outcomes %v; want a complete run", got, outcomes(rep.Results))
			}
			if !strings.Contains(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestTokenEndpointRetried checks that a login the token endpoint fails
// for a while (a 503, a 500) is retried like any other request, while one
// whose credentials it refuses is not.
func TestTokenEndpointRetried(t *testing.T) {
	tests := []struct {
		name     string
		faults   []fault
		complete bool
		want     string // in the error
	}{
		{name: "503 then a token", faults: []fault{{status: 503}}, complete: true},
		{name: "500 twice then a token", faults: []fault{{status: 500}, {status: 500}}, complete: true},
		{name: "408 then a token", faults: []fault{{status: 408}}, complete: true},
		{name: "refused credentials", faults: []fault{{status: 400, code: "invalid_client"}}, want: "HTTP 400"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, o := clientCredentialsFixture(t)
			o.Org.MaxRetries = 3
			var waits int
			o.Org.Sleep = func(ctx context.Context, d time.Duration) error { waits++; return ctx.Err() }
			f.org.inject("token", tt.faults...)
			rep, err := Run(context.Background(), o)
			if tt.complete {
				if err != nil || !rep.Complete() || waits != len(tt.faults) {
					t.Errorf("err %v, complete %v, %d waits; want a complete run after %d waits", err, rep.Complete(), waits, len(tt.faults))
				}
				return
			}
			var refused *CredentialsError
			if err == nil || !strings.Contains(err.Error(), tt.want) || waits != 0 || !errors.As(err, &refused) {
				t.Errorf("err %v, %d waits; want a CredentialsError saying %q at once", err, waits, tt.want)
			}
		})
	}
}

// TestRejectedTokenStop checks that the stop after a rejected token says
// what to do for the kind of credentials used.
func TestRejectedTokenStop(t *testing.T) {
	tests := []struct {
		name      string
		renewable bool
		want      string
	}{
		{name: "a token from the environment", want: "cannot be renewed: get a new one"},
		{name: "client credentials", renewable: true, want: "again after a fresh login"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, rows(2))
			f.approve(nil)
			o := f.options(true)
			if tt.renewable {
				o.Org.Credentials = ClientCredentials{ClientID: f.org.clientID, ClientSecret: NewSecret(f.org.clientSecret), InstanceURL: f.org.srv.URL}
			}
			f.org.inject("delete", fault{status: 401, code: "INVALID_SESSION_ID"}, fault{status: 401, code: "INVALID_SESSION_ID"})
			rep, err := Run(context.Background(), o)
			if err != nil || rep.Stopped == nil || !strings.Contains(rep.Stopped.Message, tt.want) {
				t.Fatalf("err %v, stopped %+v; want a stop saying %q", err, rep.Stopped, tt.want)
			}
			if tt.renewable && strings.Contains(rep.Stopped.Message, "cannot be renewed") {
				t.Errorf("stop %q says a renewable token cannot be renewed", rep.Stopped.Message)
			}
		})
	}
}

// TestTokenExpiresTwice: a renewable token that expires twice in one long
// run (an org whose session timeout is 15 minutes, a run slowed by retries)
// is renewed each time, since the fresh token worked in between. Before, the
// run logged in again only once, and stopped at the second expiry saying the
// fresh token was rejected and to check that the integration user is active.
func TestTokenExpiresTwice(t *testing.T) {
	f := newFixture(t, rows(450))
	a := f.approve(nil)
	o := f.options(true)
	o.Org.Credentials = ClientCredentials{ClientID: f.org.clientID, ClientSecret: NewSecret(f.org.clientSecret), InstanceURL: f.org.srv.URL}
	f.org.inject("delete", fault{status: 401, code: "INVALID_SESSION_ID"}, fault{}, fault{status: 401, code: "INVALID_SESSION_ID"})
	rep, err := Run(context.Background(), o)
	if err != nil || !rep.Complete() {
		t.Fatalf("err %v, stopped %+v; want the run complete", err, rep.Stopped)
	}
	var ids []string
	for _, s := range a.Sessions {
		ids = append(ids, s.SessionID)
	}
	f.checkEndedOnce(ids)
	if f.org.issued != 3 {
		t.Errorf("%d tokens issued, want 3 (a login, and one after each expiry)", f.org.issued)
	}
}

// TestTokenEndpointEchoInATransportError has the token endpoint answer with
// a header line that is no header and repeats what was posted: Go's
// transport quotes such a line in full in its error, and no credential is
// known to the client's redaction before a login succeeds. The client
// secret, or the JWT assertion (which anyone may trade for a token until it
// expires), must reach neither the error nor the log; what went wrong must.
func TestTokenEndpointEchoInATransportError(t *testing.T) {
	const secret = "client-SECRET-value-echoed"
	for _, echo := range []string{"client_secret", "assertion", "body"} {
		t.Run(echo, func(t *testing.T) {
			var posted []string
			srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				form, _ := url.ParseQuery(string(body))
				said := form.Get(echo)
				if echo == "body" {
					said = string(body)
				}
				posted = append(posted, form.Get("client_secret")+form.Get("assertion"))
				conn, buf, err := w.(http.Hijacker).Hijack()
				if err != nil {
					t.Error(err)
					return
				}
				defer conn.Close()
				buf.WriteString("HTTP/1.1 400 Bad Request\r\nX-Echo " + said + "\r\nContent-Length: 0\r\n\r\n")
				buf.Flush()
			}))
			defer srv.Close()
			f := newFixture(t, rows(2))
			f.approve(nil)
			var log bytes.Buffer
			org := OrgOptions{HTTPClient: srv.Client(), MaxRetries: 1, Log: &log,
				Sleep:       func(ctx context.Context, d time.Duration) error { return ctx.Err() },
				Credentials: ClientCredentials{ClientID: "3MVGclient", ClientSecret: NewSecret(secret), InstanceURL: srv.URL}}
			if echo == "assertion" {
				org.Credentials = JWTBearer{ClientID: "3MVGclient", Username: "u@acme.com", LoginURL: srv.URL, Key: testKey}
			}
			_, err := Verify(context.Background(), VerifyOptions{Removals: f.list, Org: org})
			if err == nil || len(posted) == 0 {
				t.Fatalf("err %v after %d token requests, want a failed login", err, len(posted))
			}
			text := err.Error() + "\n" + log.String()
			if !strings.Contains(text, "malformed MIME header") {
				t.Errorf("the error no longer says what went wrong: %s", text)
			}
			for _, p := range posted {
				if len(p) < 16 {
					t.Fatalf("posted %q: too short to look for", p)
				}
				for _, part := range []string{p, p[len(p)-16:]} {
					if strings.Contains(text, part) {
						t.Errorf("the error or log repeats what was posted (%.24s…):\n%s", part, text)
					}
				}
			}
		})
	}
}

// TestJWTKeyPastedIntoThePathVariable puts the key itself, as CI secrets
// often hold it, where its path belongs: the error must say the file is not
// there without printing the key (an error quoting the path printed it all).
func TestJWTKeyPastedIntoThePathVariable(t *testing.T) {
	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(testKey)}))
	oneLine := strings.Join(strings.Split(strings.TrimSpace(pemKey), "\n")[1:4], "")
	for name, value := range map[string]string{"PEM": pemKey, "one base64 line": oneLine, "missing file": "/nonexistent/server.key"} {
		t.Run(name, func(t *testing.T) {
			env := map[string]string{"SF_JWT_KEY_FILE": value, "SF_CLIENT_ID": "c", "SF_USERNAME": "u@x"}
			_, err := CredentialsFromEnv(func(k string) string { return env[k] })
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if strings.Contains(msg, value) || strings.Contains(msg, "MII") {
				t.Errorf("the error repeats SF_JWT_KEY_FILE: %s", msg)
			}
			if !strings.Contains(msg, "SF_JWT_KEY_FILE") || !strings.Contains(msg, "no such file") && !strings.Contains(msg, "too long") {
				t.Errorf("the error does not say what is wrong: %s", msg)
			}
			if name == "PEM" && !strings.Contains(msg, "looks like the key itself") {
				t.Errorf("the error does not say the value looks like a key: %s", msg)
			}
		})
	}
}

// roundTripFunc is an http.RoundTripper made of a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// expiredServer is a TLS server whose certificate, which the client it
// returns trusts, expired yesterday; it fails the test if asked anything.
func expiredServer(t *testing.T) (*httptest.Server, *http.Client) {
	t.Helper()
	return badCertServer(t, func(tmpl *x509.Certificate) {
		tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour)
	})
}

// badCertServer is a TLS server whose self-signed certificate, which the
// client it returns trusts, change makes one the handshake refuses; it fails
// the test if asked anything.
func badCertServer(t *testing.T, change func(tmpl *x509.Certificate)) (*httptest.Server, *http.Client) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "untrusted"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true}
	change(tmpl)
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("a request reached a server whose certificate is not trusted: %s %s", r.Method, r.URL.Path)
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return srv, &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

// TestUntrustedCertificate: a certificate the TLS handshake does not trust
// (a proxy intercepting TLS, a wrong instance URL, an expired certificate)
// fails the run at once, naming the host and Go's reason, with nothing
// retried and nothing recorded as sent without an answer, since no request
// left the machine. Before, it was retried five times as a request without
// an answer, and a delete it kept from being sent was recorded as
// NO_RESPONSE (possibly carried out).
func TestUntrustedCertificate(t *testing.T) {
	distrust := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: x509.NewCertPool()}}}
	tests := []struct {
		name   string
		setup  func(f *fixture, o *Options) string // returns the host the error names
		reason string
	}{
		{name: "unknown authority", reason: "x509: certificate signed by unknown authority",
			setup: func(f *fixture, o *Options) string {
				o.Org.HTTPClient = distrust
				return f.org.srv.Listener.Addr().String()
			}},
		{name: "unknown authority at the token endpoint", reason: "x509: certificate signed by unknown authority",
			setup: func(f *fixture, o *Options) string {
				o.Org.HTTPClient = distrust
				o.Org.Credentials = ClientCredentials{ClientID: f.org.clientID, ClientSecret: NewSecret(f.org.clientSecret), InstanceURL: f.org.srv.URL}
				return f.org.srv.Listener.Addr().String()
			}},
		{name: "another host's certificate", reason: "x509: certificate is valid for",
			setup: func(f *fixture, o *Options) string {
				u := strings.Replace(f.org.srv.URL, "127.0.0.1", "localhost", 1)
				o.Org.Credentials = AccessToken{InstanceURL: u, Token: NewSecret(f.org.token)}
				return strings.TrimPrefix(u, "https://")
			}},
		{name: "expired certificate", reason: "x509: certificate has expired",
			setup: func(f *fixture, o *Options) string {
				srv, hc := expiredServer(t)
				o.Org.HTTPClient = hc
				o.Org.Credentials = AccessToken{InstanceURL: srv.URL, Token: NewSecret(f.org.token)}
				return srv.Listener.Addr().String()
			}},
		// A reason none of the x509 error types above: Go's verification
		// error says it.
		{name: "a critical extension Go does not handle", reason: "x509: unhandled critical extension",
			setup: func(f *fixture, o *Options) string {
				srv, hc := badCertServer(t, func(tmpl *x509.Certificate) {
					tmpl.ExtraExtensions = []pkix.Extension{{Id: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 55555, 1}, Critical: true, Value: []byte{5, 0}}}
				})
				o.Org.HTTPClient = hc
				o.Org.Credentials = AccessToken{InstanceURL: srv.URL, Token: NewSecret(f.org.token)}
				return srv.Listener.Addr().String()
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, rows(2))
			f.approve(nil)
			o := f.options(true)
			sleeps := 0
			o.Org.Sleep = func(ctx context.Context, d time.Duration) error { sleeps++; return ctx.Err() }
			host := tt.setup(f, &o)
			_, err := Run(context.Background(), o)
			var untrusted *CertificateError
			if !errors.As(err, &untrusted) || untrusted.Host != host || !strings.Contains(untrusted.Reason, tt.reason) ||
				!strings.Contains(err.Error(), "the certificate of "+host+" was not trusted ("+tt.reason) {
				t.Fatalf("err %v; want a CertificateError naming %s and %q", err, host, tt.reason)
			}
			if strings.Contains(err.Error(), "SECRET") {
				t.Errorf("the error quotes a secret: %v", err)
			}
			if sleeps != 0 || f.org.requests != 0 {
				t.Errorf("%d retries and %d requests served; want none", sleeps, f.org.requests)
			}
		})
	}

	// A delete the handshake kept from leaving: its sessions are skipped,
	// not recorded as sent without an answer, the run ends there, and the
	// next run, trusting the org, sends them once.
	t.Run("on a delete", func(t *testing.T) {
		f := newFixture(t, rows(2))
		f.approve(nil)
		o := f.options(true)
		sleeps := 0
		o.Org.Sleep = func(ctx context.Context, d time.Duration) error { sleeps++; return ctx.Err() }
		trusted := f.org.srv.Client().Transport
		o.Org.HTTPClient = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if r.Method == http.MethodDelete {
				return nil, &url.Error{Op: "Delete", URL: r.URL.String(), Err: &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}}
			}
			return trusted.RoundTrip(r)
		})}
		rep, err := Run(context.Background(), o)
		var untrusted *CertificateError
		if !errors.As(err, &untrusted) || sleeps != 0 {
			t.Fatalf("err %v after %d retries; want a CertificateError at once", err, sleeps)
		}
		if diff := cmp.Diff(map[string]int{"skipped/UNTRUSTED_CERTIFICATE": 2}, outcomes(rep.Results)); diff != "" {
			t.Errorf("outcomes (-want +got):\n%s", diff)
		}
		o.Org.HTTPClient = f.org.srv.Client()
		rep, err = Run(context.Background(), o)
		if err != nil || !rep.Complete() || rep.Resent != 0 {
			t.Errorf("rerun: err %v, outcomes %v, %d resent as unanswered; want it complete, none resent", err, outcomes(rep.Results), rep.Resent)
		}
		f.checkEndedOnce(sessionIDs(*rep.Approval))
	})

	// An attempt before the handshake failed went without an answer, so
	// the org may have ended the sessions then: sent without an answer
	// (NO_RESPONSE), as any, and sent again by the next run.
	t.Run("on a delete, an attempt unanswered before", func(t *testing.T) {
		f := newFixture(t, rows(2))
		f.approve(nil)
		o := f.options(true)
		trusted := f.org.srv.Client().Transport
		deletes := 0
		o.Org.HTTPClient = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if r.Method == http.MethodDelete {
				if deletes++; deletes == 1 {
					return nil, errors.New("connection reset by peer")
				}
				return nil, &url.Error{Op: "Delete", URL: r.URL.String(), Err: &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}}
			}
			return trusted.RoundTrip(r)
		})}
		rep, err := Run(context.Background(), o)
		var untrusted *CertificateError
		if !errors.As(err, &untrusted) {
			t.Fatalf("err %v; want a CertificateError", err)
		}
		if diff := cmp.Diff(map[string]int{"failed/" + noResponseCode: 2}, outcomes(rep.Results)); diff != "" {
			t.Errorf("outcomes (-want +got):\n%s", diff)
		}
		o.Org.HTTPClient = f.org.srv.Client()
		rep, err = Run(context.Background(), o)
		if err != nil || !rep.Complete() {
			t.Errorf("rerun: err %v, outcomes %v; want it complete", err, outcomes(rep.Results))
		}
		f.checkEndedOnce(sessionIDs(*rep.Approval))
	})

	// The token expired, and the token endpoint's certificate is not
	// trusted when the run logs in again: a person must fix the trust, as
	// at the first login (exit 2), not a failed login to run again.
	t.Run("at the token endpoint, logging in again after a 401", func(t *testing.T) {
		f, o := clientCredentialsFixture(t)
		trusted := f.org.srv.Client().Transport
		logins := 0
		o.Org.HTTPClient = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if strings.HasSuffix(r.URL.Path, "/oauth2/token") {
				if logins++; logins > 1 {
					return nil, &url.Error{Op: "Post", URL: r.URL.String(), Err: &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}}
				}
			}
			return trusted.RoundTrip(r)
		})}
		f.org.inject("delete", fault{status: 401, code: "INVALID_SESSION_ID"})
		rep, err := Run(context.Background(), o)
		var untrusted *CertificateError
		if !errors.As(err, &untrusted) || logins != 2 {
			t.Fatalf("err %v, stopped %+v after %d logins; want a CertificateError at the second", err, rep.Stopped, logins)
		}
	})
}
