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
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"
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
	u, err := httpsURL("SF_INSTANCE_URL", c.InstanceURL)
	if err != nil {
		return orgSession{}, err
	}
	if c.Token.IsZero() {
		return orgSession{}, errors.New("the access token is empty")
	}
	return orgSession{instance: u, token: c.Token}, nil
}

func (c JWTBearer) login(ctx context.Context, hc *http.Client) (orgSession, error) {
	login, err := httpsURL("SF_LOGIN_URL", c.LoginURL)
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
	instance, err := httpsURL("SF_INSTANCE_URL", c.InstanceURL)
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
	if err != nil {
		return orgSession{}, fmt.Errorf("getting a token by %s from %s: %w", flow, base.Host, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return orgSession{}, fmt.Errorf("getting a token by %s from %s: reading the response: %w", flow, base.Host, err)
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
		return orgSession{}, fmt.Errorf("getting a token by %s from %s: HTTP %d%s", flow, base.Host, resp.StatusCode, code)
	}
	if jsonErr != nil || tr.AccessToken == "" {
		return orgSession{}, fmt.Errorf("getting a token by %s from %s: the response has no access_token", flow, base.Host)
	}
	instance, err := httpsURL("instance_url in the token response", tr.InstanceURL)
	if err != nil {
		return orgSession{}, fmt.Errorf("getting a token by %s from %s: %w", flow, base.Host, err)
	}
	return orgSession{instance: instance, token: NewSecret(tr.AccessToken)}, nil
}

// httpsURL parses an org URL. Tokens only travel over TLS, so http is refused.
func httpsURL(what, s string) (*url.URL, error) {
	if s == "" {
		return nil, fmt.Errorf("%s is empty", what)
	}
	u, err := url.Parse(strings.TrimSuffix(s, "/"))
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.RawQuery != "" {
		return nil, fmt.Errorf("%s is %q, want https://host", what, s)
	}
	return &url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}, nil
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
func ReadJWTKey(path string) (*rsa.PrivateKey, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("reading the JWT key: %w", err)
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

// CredentialsFromEnv picks the credentials from the environment, first match
// wins:
//
//  1. SF_ACCESS_TOKEN (with SF_INSTANCE_URL): a token from `sf org display`;
//  2. SF_JWT_KEY_FILE (with SF_CLIENT_ID, SF_USERNAME, optional SF_LOGIN_URL):
//     the JWT bearer flow;
//  3. SF_CLIENT_SECRET (with SF_CLIENT_ID, SF_INSTANCE_URL): client credentials.
//
// It returns an error naming the missing variable when a flow is half set up,
// and ErrNoCredentials when none is.
func CredentialsFromEnv(getenv func(string) string) (Credentials, error) {
	need := func(names ...string) error {
		for _, n := range names {
			if getenv(n) == "" {
				return fmt.Errorf("%s is not set", n)
			}
		}
		return nil
	}
	switch {
	case getenv("SF_ACCESS_TOKEN") != "":
		if err := need("SF_INSTANCE_URL"); err != nil {
			return nil, fmt.Errorf("SF_ACCESS_TOKEN is set but %w", err)
		}
		return AccessToken{InstanceURL: getenv("SF_INSTANCE_URL"), Token: NewSecret(getenv("SF_ACCESS_TOKEN"))}, nil
	case getenv("SF_JWT_KEY_FILE") != "":
		if err := need("SF_CLIENT_ID", "SF_USERNAME"); err != nil {
			return nil, fmt.Errorf("SF_JWT_KEY_FILE is set but %w", err)
		}
		key, err := ReadJWTKey(getenv("SF_JWT_KEY_FILE"))
		if err != nil {
			return nil, err
		}
		login := getenv("SF_LOGIN_URL")
		if login == "" {
			login = DefaultLoginURL
		}
		return JWTBearer{ClientID: getenv("SF_CLIENT_ID"), Username: getenv("SF_USERNAME"), LoginURL: login, Key: key}, nil
	case getenv("SF_CLIENT_SECRET") != "":
		if err := need("SF_CLIENT_ID", "SF_INSTANCE_URL"); err != nil {
			return nil, fmt.Errorf("SF_CLIENT_SECRET is set but %w", err)
		}
		return ClientCredentials{ClientID: getenv("SF_CLIENT_ID"), ClientSecret: NewSecret(getenv("SF_CLIENT_SECRET")), InstanceURL: getenv("SF_INSTANCE_URL")}, nil
	}
	return nil, ErrNoCredentials
}

// ErrNoCredentials means the environment names no way to reach an org.
var ErrNoCredentials = errors.New("no Salesforce credentials in the environment: set SF_INSTANCE_URL and SF_ACCESS_TOKEN, or SF_CLIENT_ID, SF_USERNAME and SF_JWT_KEY_FILE, or SF_CLIENT_ID, SF_CLIENT_SECRET and SF_INSTANCE_URL")
