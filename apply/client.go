package apply

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/sessionaudit/sessionaudit/sfid"
)

// DefaultAPIVersion is the REST API version used unless told otherwise.
const DefaultAPIVersion = "v66.0"

// OrgOptions say how to reach the org and how hard to try.
type OrgOptions struct {
	Credentials    Credentials
	APIVersion     string        // "v66.0" or "66.0"; empty means DefaultAPIVersion
	HTTPClient     *http.Client  // nil means a client that follows no redirects
	MaxAPIShare    float64       // stop before the org's daily API usage passes this share of its allowance; 0 means 0.5
	MaxRetries     int           // retries of a timed-out or 5xx request; 0 means 4, negative means none
	RequestTimeout time.Duration // per attempt; 0 means 60s
	// Sleep waits between retries; nil means a timer that ctx can cut short.
	// Tests pass one that returns at once.
	Sleep func(ctx context.Context, d time.Duration) error
	Log   io.Writer // retries and re-authentication are reported here; nil discards
}

var apiVersionPattern = regexp.MustCompile(`^v?([0-9]{2,3}\.0)$`)

// NormalizeAPIVersion accepts "v66.0" or "66.0" and returns "v66.0".
func NormalizeAPIVersion(s string) (string, error) {
	if s == "" {
		return DefaultAPIVersion, nil
	}
	m := apiVersionPattern.FindStringSubmatch(s)
	if m == nil {
		return "", fmt.Errorf("API version %q, want one like v66.0", s)
	}
	return "v" + m[1], nil
}

// StopError ends a run cleanly before its work is done: the org's request
// limit (REQUEST_LIMIT_EXCEEDED, or HTTP 429), a Retry-After too long to
// wait (SERVER_UNAVAILABLE for a 503), the configured API share
// (API_SHARE_LIMIT), a rejected token that cannot be renewed
// (INVALID_SESSION_ID, LOGIN_FAILED), or an org that did not serve a
// request at any attempt (ORG_UNAVAILABLE, see orgDown). A later run
// resumes from the journal; Message ends by saying when or how, as reports
// print it alone.
type StopError struct {
	Code    string
	Message string
	// status is the HTTP status the org answered the stopped request with
	// (429, 503, 401), when it did; 0 for a stop before sending (the API
	// share).
	status int
}

func (e *StopError) Error() string { return "stopped: " + e.Code + ": " + e.Message }

// APIError is a response the org gave after any retries: an HTTP status
// other than 2xx, with its errorCode and message when it had them.
type APIError struct {
	Status  int
	Code    string
	Message string
	// attempts is how many attempts were made when the retries ran out
	// with this answer to the last, and answered5xx how many of them a 5xx
	// answered (the others got no answer); both 0 otherwise.
	attempts, answered5xx int
}

func (e *APIError) Error() string {
	s := "HTTP " + strconv.Itoa(e.Status)
	if e.Status == 0 {
		s = "no answer"
	}
	if e.Code != "" && e.Code != noResponseCode {
		s += " " + e.Code
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// CertificateError is a request that never left this machine: the TLS
// handshake with Host failed because its certificate was not trusted (an
// unknown authority, as a proxy that intercepts TLS presents; a certificate
// for another host, as a wrong instance URL gives; an expired one). It is
// not retried, and nothing is recorded as sent: a person must fix the trust
// or the URL. Reason is Go's.
type CertificateError struct {
	Host   string
	Reason string
}

func (e *CertificateError) Error() string {
	return fmt.Sprintf("the certificate of %s was not trusted (%s), so nothing was sent to it: "+
		"is a proxy intercepting TLS, or the URL not the org's? Fix the URL, or the trusted certificates (SSL_CERT_FILE), and run again", e.Host, e.Reason)
}

// certificateCode is the error code recorded, and the stop journalled, for
// a request a *CertificateError kept from being sent.
const certificateCode = "UNTRUSTED_CERTIFICATE"

// certificateError returns err as a *CertificateError for host when it is
// a certificate the TLS handshake did not trust, else nil.
func certificateError(host string, err error) *CertificateError {
	var ce *CertificateError
	var verify *tls.CertificateVerificationError
	var authority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var reason error
	switch {
	case errors.As(err, &ce):
		return ce
	case errors.As(err, &authority):
		reason = authority
	case errors.As(err, &hostname):
		reason = hostname
	case errors.As(err, &invalid):
		reason = invalid
	case errors.As(err, &verify):
		reason = verify.Err
	default:
		return nil
	}
	why := "x509: certificate not trusted"
	if reason != nil {
		why = reason.Error()
	}
	return &CertificateError{Host: host, Reason: why}
}

// noResponseCode is the error code recorded when retries ran out without an
// answer (timeouts, dropped connections).
const noResponseCode = "NO_RESPONSE"

type client struct {
	hc       *http.Client
	creds    Credentials
	version  string
	share    float64
	retries  int
	timeout  time.Duration
	sleep    func(context.Context, time.Duration) error
	log      io.Writer
	sess     orgSession
	loggedIn bool
	reauthed bool // logged in again after a 401, and the fresh token has not worked yet
	// downInARow counts the requests in a row, up to the last, that the org
	// served no attempt of (see orgDown).
	downInARow int
	used       int // from Sforce-Limit-Info
	limit      int
	// unanswered says that the last call of do had an attempt the org may
	// have carried out without saying so (a timeout, a dropped connection,
	// a gateway's 502 or 504) before it gave up or was refused: a delete it
	// sent may have ended sessions all the same.
	unanswered bool
	// known holds every credential this client has put on the wire (each
	// access token, the client secret or JWT assertion): redact removes them
	// from any text the org or the network hands back.
	known []Secret
}

func newClient(o OrgOptions) (*client, error) {
	if o.Credentials == nil {
		return nil, ErrNoCredentials
	}
	version, err := NormalizeAPIVersion(o.APIVersion)
	if err != nil {
		return nil, err
	}
	c := &client{hc: o.HTTPClient, creds: o.Credentials, version: version, share: o.MaxAPIShare,
		retries: o.MaxRetries, timeout: o.RequestTimeout, sleep: o.Sleep, log: o.Log}
	if c.share == 0 {
		c.share = 0.5
	}
	// Written so that NaN, which fails every comparison, is refused too: it
	// would otherwise switch off the API-share guard.
	if !(c.share > 0 && c.share <= 1) {
		return nil, fmt.Errorf("API share %v is outside (0, 1]", c.share)
	}
	switch {
	case c.retries == 0:
		c.retries = 4
	case c.retries < 0:
		c.retries = 0
	}
	if c.timeout == 0 {
		c.timeout = 60 * time.Second
	}
	if c.hc == nil {
		// Each request has its own deadline too; this one also bounds a
		// caller that forgets it.
		c.hc = &http.Client{Timeout: c.timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if c.sleep == nil {
		c.sleep = sleepContext
	}
	if c.log == nil {
		c.log = io.Discard
	}
	return c, nil
}

func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// backoff is exponential with full jitter in its upper half: 0.5–1 s, 1–2 s, … capped at 30 s.
func backoff(attempt int) time.Duration {
	d := min(time.Second<<attempt, 30*time.Second)
	return d/2 + rand.N(d/2+1)
}

func (c *client) dataPath(format string, args ...any) string {
	return "/services/data/" + c.version + fmt.Sprintf(format, args...)
}

// do sends one API request and returns the status and body of a 2xx
// response. Timeouts, dropped connections and 5xx are retried with backoff;
// a 429 or 503 with a Retry-After of at most maxRetryAfter is retried after
// that wait. A 401 logs in again if the credentials allow it, once for each
// token that has worked (an expiry). The request limit (a 429, or
// REQUEST_LIMIT_EXCEEDED under any status), a Retry-After too long to wait,
// a 401 of a fresh token or the API share returns a
// *StopError; other statuses an *APIError. When secret is set the response
// body is never read into memory or an error beyond its errorCode: the
// password endpoint answers with a new password.
func (c *client) do(ctx context.Context, method, path string, body []byte, secret bool) (int, []byte, error) {
	status, respBody, err := c.doRetried(ctx, method, path, body, secret)
	if orgDown("", err) != nil {
		c.downInARow++
	} else {
		c.downInARow = 0
	}
	return status, respBody, err
}

// doRetried is do without its count of requests in a row the org served no
// attempt of.
func (c *client) doRetried(ctx context.Context, method, path string, body []byte, secret bool) (int, []byte, error) {
	c.unanswered = false
	if !c.loggedIn {
		if err := c.login(ctx); err != nil {
			return 0, nil, err
		}
	}
	answered5xx := 0 // attempts a 5xx answered
	for attempt := 0; ; attempt++ {
		if c.limit > 0 && float64(c.used+1) > c.share*float64(c.limit) {
			return 0, nil, &StopError{Code: "API_SHARE_LIMIT", Message: fmt.Sprintf(
				"the org has used %d of its %d daily API requests and --max-api-share is %g: run again later, as the org's allowance frees up, or with a higher --max-api-share, to resume",
				c.used, c.limit, c.share)}
		}
		status, respBody, retryAfter, err := c.send(ctx, method, path, body, secret)
		wait, asked := backoff(attempt), ""
		if ce := certificateError(c.sess.instance.Host, err); ce != nil && ctx.Err() == nil {
			// The handshake failed: this attempt sent nothing, and a
			// retry would meet the same certificate.
			return 0, nil, ce
		}
		switch {
		case err != nil && ctx.Err() != nil:
			return 0, nil, ctx.Err()
		case err != nil:
			// A timeout or a dropped connection: retried below.
			err = c.safe(err)
			c.unanswered = true
		case status >= 200 && status <= 299:
			// The token works: a later 401 is its expiry, which a fresh
			// login renews again.
			c.reauthed = false
			return status, respBody, nil
		case status == http.StatusUnauthorized:
			if c.creds.renewable() && !c.reauthed {
				c.logf("the org rejected the token (HTTP 401); logging in again")
				c.reauthed = true
				if err := c.login(ctx); err != nil {
					var ce *CertificateError
					if ctx.Err() != nil {
						return 0, nil, ctx.Err()
					}
					if errors.As(err, &ce) {
						return 0, nil, ce
					}
					return 0, nil, &StopError{Code: "LOGIN_FAILED", Message: "logging in again after the org rejected the token (HTTP 401): " +
						c.safe(err).Error() + ": run again to resume", status: status}
				}
				attempt--
				continue
			}
			msg := "the org rejected the access token, which cannot be renewed: get a new one and run again to resume"
			if c.creds.renewable() {
				msg = "the org rejected the access token again after a fresh login: run again to resume, and if this repeats check that the integration user is active and may use the API"
			}
			return 0, nil, &StopError{Code: "INVALID_SESSION_ID", Message: msg, status: status}
		default:
			e := c.apiError(status, respBody, secret)
			d, ok := parseRetryAfter(retryAfter, time.Now())
			switch {
			case ok && (status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable):
				// The org says when to come back: wait if that is soon
				// enough, else stop so that a later run resumes.
				if !mayWait(ctx, d) {
					return 0, nil, retryLater(status, e, d)
				}
				if attempt >= c.retries {
					stop := retryLater(status, e, 0)
					stop.Message = fmt.Sprintf("the org answered HTTP %d to %d attempts in a row, each time asking to wait %s (Retry-After): run again later to resume",
						status, attempt+1, d)
					return 0, nil, stop
				}
				err, wait, asked = e, d, ", as the org asked"
				answered5xx++
			case status == http.StatusTooManyRequests || e.Code == requestLimitCode:
				return 0, nil, retryLater(status, e, 0)
			case status >= 500:
				err = e
				answered5xx++
				// A gateway's timeout or bad answer: the request may have
				// reached the org, which may have carried it out.
				if status == http.StatusBadGateway || status == http.StatusGatewayTimeout {
					c.unanswered = true
				}
			default:
				return 0, nil, e
			}
		}
		if attempt >= c.retries {
			var ae *APIError
			if errors.As(err, &ae) {
				ae.attempts, ae.answered5xx = attempt+1, answered5xx
				return 0, nil, ae
			}
			return 0, nil, &APIError{Code: noResponseCode, Message: c.redact(fmt.Sprintf("%s %s after %d attempts: %v", method, withoutQuery(path), attempt+1, err))}
		}
		c.logf("%s %s: %v; retrying in %s%s", method, withoutQuery(path), err, wait.Round(time.Millisecond), asked)
		if err := c.sleep(ctx, wait); err != nil {
			return 0, nil, err
		}
	}
}

const requestLimitCode = "REQUEST_LIMIT_EXCEEDED"

// orgUnavailableCode is the stop of a request the org did not serve at any
// attempt (see orgDown).
const orgUnavailableCode = "ORG_UNAVAILABLE"

// orgDown returns the stop for an error of do (or of the login it makes)
// that says the org is down or out of reach: no answer to any attempt
// (timeouts, dropped connections, a gateway's 502 or 504), a 5xx to every
// attempt, or a token endpoint that failed every attempt the same way. The
// retries have run out, so a later run, not this one, should try again;
// what names the request. Any other error (nil included) gives nil.
func orgDown(what string, err error) *StopError {
	var ae *APIError
	var te *transientError
	switch {
	case errors.As(err, &ae) && ae.Status == 0 && ae.Code == noResponseCode:
		return &StopError{Code: orgUnavailableCode, Message: fmt.Sprintf(
			"%s: the org did not answer (%s): it is down or out of reach: run again later to resume", what, ae.Message)}
	case errors.As(err, &ae) && ae.Status >= 500:
		answer := "HTTP " + strconv.Itoa(ae.Status)
		if ae.Code != "" {
			answer += " " + ae.Code
		}
		switch {
		case ae.attempts > 1 && ae.answered5xx < ae.attempts:
			answer += fmt.Sprintf(" to the last of %d attempts", ae.attempts)
		case ae.attempts > 1:
			answer += fmt.Sprintf(" to %d attempts in a row", ae.attempts)
		default:
			answer += " to every attempt"
		}
		if ae.Message != "" {
			answer += " (" + ae.Message + ")"
		}
		if ae.attempts > 1 && ae.answered5xx < ae.attempts {
			answer += fmt.Sprintf(", %d of them with a 5xx and the rest not at all", ae.answered5xx)
		}
		return &StopError{Code: orgUnavailableCode, Message: fmt.Sprintf(
			"%s: the org answered %s: it is down or failing: run again later to resume", what, answer)}
	case errors.As(err, &te):
		return &StopError{Code: orgUnavailableCode, Message: fmt.Sprintf(
			"%s: logging in failed at every attempt (%s): the org's token endpoint is down or out of reach: run again later to resume", what, te)}
	}
	return nil
}

// redirectCode is the error code recorded for an answer that redirects
// (HTTP 3xx), which the org's REST API does not give for a request it
// carried out.
const redirectCode = "REDIRECT"

// maxRetryAfter is the longest Retry-After a run waits out; a longer one
// stops it.
const maxRetryAfter = 60 * time.Second

// parseRetryAfter reads a Retry-After header: seconds, or an HTTP date.
func parseRetryAfter(h string, now time.Time) (time.Duration, bool) {
	if h == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(h, 10, 64); err == nil && secs >= 0 {
		// Kept whole, so that a stop says how long the org asked for, but
		// bounded to the longest Duration: a huge value must not overflow
		// into a short or negative wait.
		return time.Duration(min(secs, int64(math.MaxInt64/time.Second))) * time.Second, true
	}
	if t, err := http.ParseTime(h); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// mayWait reports whether a run may wait d before its next request: d is at
// most maxRetryAfter and ends before ctx's deadline.
func mayWait(ctx context.Context, d time.Duration) bool {
	if d > maxRetryAfter {
		return false
	}
	deadline, ok := ctx.Deadline()
	return !ok || time.Now().Add(d).Before(deadline)
}

// retryLater is the stop for a request the org told to come back later: its
// request limit (REQUEST_LIMIT_EXCEEDED), or a Retry-After of wait (when not
// zero) that the run cannot wait out (SERVER_UNAVAILABLE for a 503).
func retryLater(status int, e *APIError, wait time.Duration) *StopError {
	code := requestLimitCode
	if status == http.StatusServiceUnavailable && e.Code != requestLimitCode {
		code = "SERVER_UNAVAILABLE"
	}
	msg := fmt.Sprintf("the org's API request limit is reached (HTTP %d): run again later to resume", status)
	if wait > 0 {
		msg = fmt.Sprintf("the org asked to wait %s before the next request (HTTP %d, Retry-After): run again later to resume", wait, status)
	}
	return &StopError{Code: code, Message: msg, status: status}
}

// login gets a token, each attempt within the request timeout: a hung token
// endpoint must not hold the run, and the list's lock, for ever. A
// transient failure (a timeout, a 5xx) is retried with backoff as other
// requests are; a refusal of the credentials is returned at once.
func (c *client) login(ctx context.Context) error {
	for attempt := 0; ; attempt++ {
		tctx, cancel := context.WithTimeout(ctx, c.timeout)
		sess, err := c.creds.login(tctx, c.hc)
		timedOut := tctx.Err() != nil // this attempt's timeout, or the run's end
		cancel()
		if err == nil {
			c.sess, c.loggedIn = sess, true
			c.known = append(c.known, sess.token, sess.posted)
			return nil
		}
		var transient *transientError
		if ctx.Err() != nil || !(timedOut || errors.As(err, &transient)) {
			return err
		}
		if attempt >= c.retries {
			if !errors.As(err, &transient) {
				err = &transientError{err} // every attempt timed out: see orgDown
			}
			return err
		}
		wait := backoff(attempt)
		c.logf("logging in: %v; retrying in %s", c.safe(err), wait.Round(time.Millisecond))
		if err := c.sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// logf writes one line to the log, redacted.
func (c *client) logf(format string, args ...any) {
	fmt.Fprintln(c.log, c.redact(fmt.Sprintf(format, args...)))
}

// minRedacted is the length below which a known credential is not looked
// for: a value that short would be found inside ordinary words, and no real
// token, client secret or assertion is that short.
const minRedacted = 8

// redact is the one place that knows the secrets: it returns s with every
// credential the client has sent (as is or URL-escaped), and anything shaped
// like a bearer token or a Salesforce session Id, replaced by [REDACTED].
// Text from the org or the network reaches an error or the log only through
// it: the org may repeat a request's Authorization header in a message.
func (c *client) redact(s string) string {
	for _, k := range c.known {
		v := k.Reveal()
		if len(v) < minRedacted {
			continue
		}
		forms := []string{v, url.QueryEscape(v), url.PathEscape(v)}
		// An access token's part after "!" is the secret itself: a message
		// that quotes it without the org Id before it gives it away too.
		if _, after, ok := strings.Cut(v, "!"); ok && len(after) >= minRedacted {
			forms = append(forms, after, url.QueryEscape(after))
		}
		for _, form := range forms {
			s = strings.ReplaceAll(s, form, redacted)
		}
	}
	return sfid.RedactTokens(s)
}

// safe returns err as it may be shown. A *url.Error (a timeout, a dropped
// connection) quotes the whole request URL, whose query may carry a secret
// (a nextRecordsUrl with ?sid=): it is rebuilt with scheme, host and path
// only. Any other secret in the text is redacted.
func (c *client) safe(err error) error {
	if err == nil {
		return nil
	}
	if ue, ok := err.(*url.Error); ok {
		err = &url.Error{Op: ue.Op, URL: withoutQuery(ue.URL), Err: ue.Err}
	}
	if s := err.Error(); c.redact(s) != s {
		return errors.New(c.redact(s))
	}
	return err
}

// send makes one attempt within the per-attempt timeout and returns the
// status, the body and the Retry-After header.
func (c *client) send(ctx context.Context, method, path string, body []byte, secret bool) (int, []byte, string, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	u := c.sess.instance.Scheme + "://" + c.sess.instance.Host + path
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return 0, nil, "", err
	}
	req.Header.Set("Authorization", "Bearer "+c.sess.token.Reveal())
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, "", err
	}
	defer resp.Body.Close()
	c.readLimitInfo(resp.Header.Get("Sforce-Limit-Info"))
	var b []byte
	if secret && resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		// A successful password reset carries the new password: drain it unread.
		_, err = io.Copy(io.Discard, resp.Body)
	} else {
		b, err = io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	}
	if err != nil {
		return 0, nil, "", err
	}
	return resp.StatusCode, b, resp.Header.Get("Retry-After"), nil
}

// readLimitInfo reads "api-usage=10018/100000" from Sforce-Limit-Info.
func (c *client) readLimitInfo(h string) {
	for _, part := range strings.Split(h, ",") {
		v, ok := strings.CutPrefix(strings.TrimSpace(part), "api-usage=")
		if !ok {
			continue
		}
		usedS, limitS, ok := strings.Cut(v, "/")
		used, err1 := strconv.Atoi(usedS)
		limit, err2 := strconv.Atoi(limitS)
		if ok && err1 == nil && err2 == nil && used >= 0 && limit > 0 {
			c.used, c.limit = used, limit
		}
	}
}

var errorCodePattern = regexp.MustCompile(`^[A-Z_]{1,64}$`)

// apiError reads a top-level error body ([{"message":…,"errorCode":…}]). The
// message is redacted; for secret endpoints only a well-formed errorCode is
// kept.
func (c *client) apiError(status int, body []byte, secret bool) *APIError {
	type item struct {
		Message   string `json:"message"`
		ErrorCode string `json:"errorCode"`
	}
	var items []item
	if json.Unmarshal(body, &items) != nil {
		var one item
		if json.Unmarshal(body, &one) == nil {
			items = []item{one}
		}
	}
	e := &APIError{Status: status}
	if status >= 300 && status < 400 {
		// Not followed, since the Authorization header would go with it; the
		// Location is not repeated, since it may carry a session Id.
		e.Code = redirectCode
		e.Message = "the org answered with a redirect, which apply does not follow: is the instance URL the org's own (its My Domain)?"
		return e
	}
	if len(items) > 0 {
		if errorCodePattern.MatchString(items[0].ErrorCode) {
			e.Code = items[0].ErrorCode
		}
		if !secret {
			// Redacted before it is cut short, so no part of a secret is left.
			e.Message = truncate(c.redact(items[0].Message), 200)
		}
	}
	return e
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// withoutQuery returns a URL or a path with its scheme, host and path only:
// user info, query and fragment may hold a credential or a SOQL query.
func withoutQuery(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		before, _, _ := strings.Cut(s, "?")
		before, _, _ = strings.Cut(before, "#")
		return before
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
}

// query runs a SOQL query and calls each for every record, following
// nextRecordsUrl until the result is done.
func (c *client) query(ctx context.Context, soql string, each func(json.RawMessage) error) error {
	path := c.dataPath("/query?q=%s", url.QueryEscape(soql))
	for page := 0; ; page++ {
		_, body, err := c.do(ctx, http.MethodGet, path, nil, false)
		if err != nil {
			return err
		}
		var res struct {
			Done           *bool             `json:"done"`
			NextRecordsURL string            `json:"nextRecordsUrl"`
			Records        []json.RawMessage `json:"records"`
		}
		if err := json.Unmarshal(body, &res); err != nil {
			return fmt.Errorf("reading the query result: %w", err)
		}
		// An answer without them (a proxy's {}) is no query result: read
		// as one, it would say that nothing matched, and the caller's own
		// session, for one, would not be known.
		if res.Done == nil || res.Records == nil {
			return errors.New(`reading the query result: the answer has no "done" and "records", so it is not a query result`)
		}
		for _, r := range res.Records {
			if err := each(r); err != nil {
				return c.safe(err) // it may quote a field's value
			}
		}
		if *res.Done {
			return nil
		}
		// Not done, and no next page to read: what was read is part of
		// the answer, and taken as all of it, a session still listed
		// would read as gone.
		if res.NextRecordsURL == "" {
			return errors.New(`reading the query result: the answer says it is not done ("done": false) but names no next page (nextRecordsUrl), so the rest of it cannot be read`)
		}
		// The next page must stay on this org's REST API: the token goes with it.
		if !strings.HasPrefix(res.NextRecordsURL, "/services/data/") || page > 100000 {
			return fmt.Errorf("reading the query result: unexpected nextRecordsUrl %q", c.redact(withoutQuery(res.NextRecordsURL)))
		}
		path = res.NextRecordsURL
	}
}

// queryIDs runs a SOQL query whose records carry Id and returns the Ids.
// When prefix is set, every Id must begin with it (the object's key prefix):
// an answer naming another record is not an answer to the query, and the
// Ids of sessions found go to sObject Collections, which deletes whatever
// record an Id names.
func (c *client) queryIDs(ctx context.Context, soql, prefix string) ([]string, error) {
	var ids []string
	err := c.query(ctx, soql, func(raw json.RawMessage) error {
		var rec struct{ Id string }
		if err := json.Unmarshal(raw, &rec); err != nil {
			return fmt.Errorf("reading a query record: %w", err)
		}
		id, err := sfid.Normalize(rec.Id)
		if err != nil {
			return fmt.Errorf("reading a query record: %w", err)
		}
		if !strings.HasPrefix(id, prefix) {
			return fmt.Errorf("reading a query record: the org answered with %s, which does not begin %s, so the answer is not what was asked", id, prefix)
		}
		ids = append(ids, id)
		return nil
	})
	return ids, err
}
