package apply

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/sessionaudit/sessionaudit/sfid"
)

// DefaultLoginURL is where the JWT bearer flow gets its token unless
// SF_LOGIN_URL says otherwise.
const DefaultLoginURL = "https://login.salesforce.com"

// Credentials obtain an access token for an org. The implementations are
// AccessToken, JWTBearer and ClientCredentials; CredentialsFromEnv picks one.
type Credentials interface {
	// login returns a fresh token and the instance to use it with.
	login(ctx context.Context, hc *http.Client) (orgSession, error)
	// renewable reports whether login can get a new token after the org
	// rejected the last one.
	renewable() bool
}

type orgSession struct {
	instance *url.URL
	token    Secret
	posted   Secret // what login sent to get the token (a client secret, a JWT assertion), if anything
}

// AccessToken is a token obtained elsewhere (`sf org display` prints both
// values). It cannot be renewed: when the org rejects it the run stops.
type AccessToken struct {
	InstanceURL string
	Token       Secret
}

// JWTBearer is the OAuth 2.0 JWT bearer flow: an assertion for Username,
// issued by the connected app ClientID, signed RS256 with Key and posted to
// LoginURL's token endpoint.
type JWTBearer struct {
	ClientID string
	Username string
	LoginURL string // e.g. https://login.salesforce.com, https://test.salesforce.com or a My Domain URL
	Key      *rsa.PrivateKey
	Now      func() time.Time // for exp; nil means time.Now
}

// ClientCredentials is the OAuth 2.0 client credentials flow, posted to the
// org's My Domain URL; the token runs as the app's integration user.
type ClientCredentials struct {
	ClientID     string
	ClientSecret Secret
	InstanceURL  string
}

func (c AccessToken) String() string       { return "access token for " + c.InstanceURL }
func (c JWTBearer) String() string         { return "JWT bearer for " + c.Username + " via " + c.LoginURL }
func (c ClientCredentials) String() string { return "client credentials via " + c.InstanceURL }
func (c AccessToken) GoString() string     { return c.String() }
func (c JWTBearer) GoString() string       { return c.String() }
func (c ClientCredentials) GoString() string {
	return c.String()
}

func (AccessToken) renewable() bool       { return false }
func (JWTBearer) renewable() bool         { return true }
func (ClientCredentials) renewable() bool { return true }

func (c AccessToken) login(context.Context, *http.Client) (orgSession, error) {
	u, err := orgURL("SF_INSTANCE_URL", c.InstanceURL)
	if err != nil {
		return orgSession{}, err
	}
	if c.Token.IsZero() {
		return orgSession{}, errors.New("the access token is empty")
	}
	return orgSession{instance: u, token: c.Token}, nil
}

func (c JWTBearer) login(ctx context.Context, hc *http.Client) (orgSession, error) {
	login, err := orgURL("SF_LOGIN_URL", c.LoginURL)
	if err != nil {
		return orgSession{}, err
	}
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	assertion, err := signJWT(c.Key, map[string]any{
		"iss": c.ClientID,
		"sub": c.Username,
		"aud": strings.TrimSuffix(c.LoginURL, "/"),
		"exp": now().Add(3 * time.Minute).Unix(),
	})
	if err != nil {
		return orgSession{}, err
	}
	form := url.Values{
		"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"},
		"assertion":  {assertion},
	}
	sess, err := requestToken(ctx, hc, login, form, "JWT bearer")
	sess.posted = NewSecret(assertion)
	return sess, err
}

func (c ClientCredentials) login(ctx context.Context, hc *http.Client) (orgSession, error) {
	instance, err := orgURL("SF_INSTANCE_URL", c.InstanceURL)
	if err != nil {
		return orgSession{}, err
	}
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {c.ClientID},
		"client_secret": {c.ClientSecret.Reveal()},
	}
	sess, err := requestToken(ctx, hc, instance, form, "client credentials")
	sess.posted = c.ClientSecret
	return sess, err
}

// oauthErrorCode matches the OAuth error codes worth quoting ("invalid_grant");
// anything else in a token response body stays unread.
var oauthErrorCode = regexp.MustCompile(`^[a-z_]{1,64}$`)

// transientError is a failure to get a token that may pass: a timeout, a
// dropped connection, a 5xx, 408 or 429 from the token endpoint. A login
// retries it; a refusal of the credentials is not one.
type transientError struct{ err error }

func (e *transientError) Error() string { return e.err.Error() }
func (e *transientError) Unwrap() error { return e.err }

// CredentialsError is the token endpoint refusing the login (an HTTP 4xx
// other than 408 and 429: 400 invalid_client or invalid_grant, or a 404
// where SF_INSTANCE_URL is not the org's): the credentials or the URL are
// unusable as given, as missing ones are, and a retry will not help.
type CredentialsError struct{ err error }

func (e *CredentialsError) Error() string { return e.err.Error() }
func (e *CredentialsError) Unwrap() error { return e.err }

// requestToken posts form to base's token endpoint. The response body may
// hold a token, so no error ever quotes it: only the status and a
// well-formed OAuth error code are reported.
func requestToken(ctx context.Context, hc *http.Client, base *url.URL, form url.Values, flow string) (orgSession, error) {
	endpoint := base.JoinPath("/services/oauth2/token")
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return orgSession{}, fmt.Errorf("getting a token by %s: %w", flow, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if ce := certificateError(base.Host, err); ce != nil {
		// Not retried: nothing was sent, and the next attempt would meet
		// the same certificate.
		return orgSession{}, fmt.Errorf("getting a token by %s: %w", flow, ce)
	}
	if err != nil {
		err = fmt.Errorf("getting a token by %s from %s: %w", flow, base.Host, withoutCredentials(err, form))
		if ctx.Err() == nil {
			err = &transientError{err} // a timeout or a dropped connection
		}
		return orgSession{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return orgSession{}, fmt.Errorf("getting a token by %s from %s: reading the response: %w", flow, base.Host, withoutCredentials(err, form))
	}
	var tr struct {
		AccessToken string `json:"access_token"`
		InstanceURL string `json:"instance_url"`
		Error       string `json:"error"`
	}
	jsonErr := json.Unmarshal(body, &tr)
	if resp.StatusCode != http.StatusOK {
		code := ""
		if jsonErr == nil && oauthErrorCode.MatchString(tr.Error) {
			code = " " + tr.Error
		}
		err := fmt.Errorf("getting a token by %s from %s: HTTP %d%s", flow, base.Host, resp.StatusCode, code)
		switch {
		case resp.StatusCode == http.StatusRequestTimeout, resp.StatusCode == http.StatusTooManyRequests, resp.StatusCode >= 500:
			err = &transientError{err} // the org is slow, busy or down, not refusing the login
		case resp.StatusCode >= 400:
			err = &CredentialsError{err} // invalid_client, invalid_grant, a URL that is not the org's
		}
		return orgSession{}, err
	}
	if jsonErr != nil || tr.AccessToken == "" {
		return orgSession{}, fmt.Errorf("getting a token by %s from %s: the response has no access_token", flow, base.Host)
	}
	instance, err := orgURL("instance_url in the token response", tr.InstanceURL)
	if err != nil {
		return orgSession{}, fmt.Errorf("getting a token by %s from %s: %w", flow, base.Host, err)
	}
	return orgSession{instance: instance, token: NewSecret(tr.AccessToken)}, nil
}

// tokenFormSecrets are the fields of a token request that are credentials:
// the client secret, and the JWT assertion, which anyone may trade for a
// token until it expires.
var tokenFormSecrets = []string{"client_secret", "assertion"}

// withoutCredentials returns err with the credentials form posted taken out
// of its text. The transport's errors quote what the server sent back (a
// malformed status or header line, in full), which may repeat the request's
// body; and no credential is known to the client's redaction until a login
// has succeeded.
func withoutCredentials(err error, form url.Values) error {
	text := err.Error()
	out := text
	for _, field := range tokenFormSecrets {
		v := form.Get(field)
		if len(v) < minRedacted {
			continue
		}
		for _, f := range []string{v, url.QueryEscape(v), url.PathEscape(v)} {
			out = strings.ReplaceAll(out, f, redacted)
		}
	}
	out = sfid.RedactTokens(out)
	if out == text {
		return err
	}
	return errors.New(out)
}

// orgURL parses an org or login URL, which must be https://host: tokens
// only travel over TLS, and a path, query or user info has no use here and
// may hold a credential (a pasted frontdoor.jsp?sid=…). The error says what
// is wrong without repeating the value.
func orgURL(what, s string) (*url.URL, error) {
	if s == "" {
		return nil, fmt.Errorf("%s is empty", what)
	}
	why := ""
	u, err := url.Parse(s)
	switch {
	case err != nil:
		why = "is not a URL"
	case u.Scheme != "https":
		why = "does not start with https://"
	case u.User != nil:
		why = "has user info"
	case u.Host == "":
		why = "has no host"
	case u.RawQuery != "" || u.ForceQuery:
		why = "has a query"
	case u.Fragment != "":
		why = "has a fragment"
	case u.Path != "" && u.Path != "/":
		why = "has a path"
	}
	if why != "" {
		return nil, fmt.Errorf("%s must be https://host with no path, query or user info: it %s", what, why)
	}
	return &url.URL{Scheme: u.Scheme, Host: u.Host}, nil
}

func signJWT(key *rsa.PrivateKey, claims map[string]any) (string, error) {
	if key == nil {
		return "", errors.New("signing the JWT: no key")
	}
	enc := base64.RawURLEncoding
	header := enc.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT"}`))
	body, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("signing the JWT: %w", err)
	}
	signed := header + "." + enc.EncodeToString(body)
	digest := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
	if err != nil {
		return "", fmt.Errorf("signing the JWT: %w", err)
	}
	return signed + "." + enc.EncodeToString(sig), nil
}

// ReadJWTKey reads an RSA private key from a PEM file in PKCS#1 ("RSA PRIVATE
// KEY") or PKCS#8 ("PRIVATE KEY") form. A file that its group or others may
// read or write is refused, as ssh refuses such a key: chmod 600 it.
//
// A path that names no file is not repeated: it may be the key itself (or
// its base64), pasted where its path belongs, as CI secrets often hold keys.
func ReadJWTKey(path string) (*rsa.PrivateKey, error) {
	fi, err := os.Stat(path)
	if err != nil {
		why := err
		var pe *fs.PathError
		if errors.As(err, &pe) {
			why = pe.Err // without the path
		}
		hint := "check the path"
		if strings.Contains(path, "-----BEGIN") || strings.ContainsAny(path, "\n\r") {
			hint = "it looks like the key itself: put the key in a file only its owner may read (chmod 600) and give that file's path"
		}
		return nil, fmt.Errorf("reading the JWT key: the path in SF_JWT_KEY_FILE (not repeated here, in case it is the key) names no file that can be read (%v): %s", why, hint)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("reading the JWT key: %s has mode %04o, which lets others read it: chmod 600 %s", path, perm, path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the JWT key: %w", err)
	}
	return parseRSAKey(path, b)
}

func parseRSAKey(path string, b []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, fmt.Errorf("reading the JWT key: %s holds no PEM block", path)
	}
	switch block.Type {
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("reading the JWT key %s: not a PKCS#1 RSA key", path)
		}
		return k, nil
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("reading the JWT key %s: not a PKCS#8 key", path)
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("reading the JWT key %s: a %T, want an RSA key", path, k)
		}
		return rk, nil
	}
	return nil, fmt.Errorf("reading the JWT key %s: PEM block %q, want RSA PRIVATE KEY or PRIVATE KEY", path, block.Type)
}

// CredentialsFromEnv picks the credentials from the environment. The first
// complete set wins:
//
//  1. SF_ACCESS_TOKEN and SF_INSTANCE_URL: a token from `sf org display`;
//  2. SF_JWT_KEY_FILE, SF_CLIENT_ID and SF_USERNAME (SF_LOGIN_URL optional):
//     the JWT bearer flow;
//  3. SF_CLIENT_SECRET, SF_CLIENT_ID and SF_INSTANCE_URL: client credentials.
//
// A set whose first variable is set but which lacks another is ignored when
// a later set is complete; when none is, the error, a
// *PartialCredentialsError (which is ErrNoCredentials), names what each
// partly set one lacks. Without any variable, it returns ErrNoCredentials. The chosen set must be
// usable: a key others may read or a URL that is not https://host is an
// error, not a reason to try the next set.
func CredentialsFromEnv(getenv func(string) string) (Credentials, error) {
	sets := []struct {
		first string   // the variable that names this set
		needs []string // the others it must have
		use   func() (Credentials, error)
	}{
		{"SF_ACCESS_TOKEN", []string{"SF_INSTANCE_URL"}, func() (Credentials, error) {
			u, err := orgURL("SF_INSTANCE_URL", getenv("SF_INSTANCE_URL"))
			if err != nil {
				return nil, err
			}
			token := getenv("SF_ACCESS_TOKEN")
			// A line end (a file read with its CRLF) or a space cannot go in
			// the Authorization header: every request would fail before it
			// left, and be retried as if the org had not answered.
			if i := strings.IndexFunc(token, func(r rune) bool { return r <= ' ' || r == 0x7f }); i >= 0 {
				return nil, fmt.Errorf("SF_ACCESS_TOKEN holds a space, line end or control character (at byte %d), which no token has: set it to the token alone (its value is not repeated)", i+1)
			}
			return AccessToken{InstanceURL: u.String(), Token: NewSecret(token)}, nil
		}},
		{"SF_JWT_KEY_FILE", []string{"SF_CLIENT_ID", "SF_USERNAME"}, func() (Credentials, error) {
			login := DefaultLoginURL
			if s := getenv("SF_LOGIN_URL"); s != "" {
				u, err := orgURL("SF_LOGIN_URL", s)
				if err != nil {
					return nil, err
				}
				login = u.String()
			}
			key, err := ReadJWTKey(getenv("SF_JWT_KEY_FILE"))
			if err != nil {
				return nil, err
			}
			return JWTBearer{ClientID: getenv("SF_CLIENT_ID"), Username: getenv("SF_USERNAME"), LoginURL: login, Key: key}, nil
		}},
		{"SF_CLIENT_SECRET", []string{"SF_CLIENT_ID", "SF_INSTANCE_URL"}, func() (Credentials, error) {
			u, err := orgURL("SF_INSTANCE_URL", getenv("SF_INSTANCE_URL"))
			if err != nil {
				return nil, err
			}
			return ClientCredentials{ClientID: getenv("SF_CLIENT_ID"), ClientSecret: NewSecret(getenv("SF_CLIENT_SECRET")), InstanceURL: u.String()}, nil
		}},
	}
	var incomplete []string
	for _, set := range sets {
		if getenv(set.first) == "" {
			continue
		}
		var missing []string
		for _, n := range set.needs {
			if getenv(n) == "" {
				missing = append(missing, n)
			}
		}
		if len(missing) == 0 {
			return set.use()
		}
		incomplete = append(incomplete, fmt.Sprintf("%s is set but %s %s not set", set.first, strings.Join(missing, " and "), isAre(len(missing))))
	}
	if len(incomplete) > 0 {
		return nil, &PartialCredentialsError{Lacks: incomplete}
	}
	// No set's first variable is set; say what is missing from the sets
	// some of whose others are (SF_CLIENT_ID and SF_INSTANCE_URL without
	// SF_CLIENT_SECRET, say).
	for _, set := range sets {
		var have, lack []string
		for _, n := range append([]string{set.first}, set.needs...) {
			if getenv(n) != "" {
				have = append(have, n)
			} else {
				lack = append(lack, n)
			}
		}
		if len(have) > 0 {
			incomplete = append(incomplete, fmt.Sprintf("%s %s set but %s %s not set", strings.Join(have, " and "), isAre(len(have)), strings.Join(lack, " and "), isAre(len(lack))))
		}
	}
	if len(incomplete) > 0 {
		return nil, &PartialCredentialsError{Lacks: incomplete}
	}
	return nil, ErrNoCredentials
}

// PartialCredentialsError is ErrNoCredentials when some variables of a set
// are in the environment but no set is complete: Lacks says, per such set,
// what is set and what is not ("SF_CLIENT_ID and SF_INSTANCE_URL are set but
// SF_CLIENT_SECRET is not set").
type PartialCredentialsError struct{ Lacks []string }

func (e *PartialCredentialsError) Error() string {
	return fmt.Sprintf("%v (%s)", ErrNoCredentials, strings.Join(e.Lacks, "; "))
}
func (e *PartialCredentialsError) Unwrap() error { return ErrNoCredentials }

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

// ErrNoCredentials means the environment names no way to reach an org.
var ErrNoCredentials = errors.New("no Salesforce credentials in the environment: set SF_INSTANCE_URL and SF_ACCESS_TOKEN, or SF_CLIENT_ID, SF_USERNAME and SF_JWT_KEY_FILE, or SF_CLIENT_ID, SF_CLIENT_SECRET and SF_INSTANCE_URL")
