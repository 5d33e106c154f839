package apply

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeOrg is an httptest.Server speaking the part of the Salesforce REST API
// that apply uses, with the bodies and Sforce-Limit-Info header documented in
// reference/salesforce-data.md. It fails the test on an unknown route or
// query, and on any write outside what the test allowed.
type fakeOrg struct {
	t   testing.TB
	srv *httptest.Server

	mu           sync.Mutex
	version      string
	token        string         // the access token the org accepts now
	issued       int            // tokens issued by the token endpoint
	clientID     string         // for both OAuth flows
	clientSecret string         // client credentials
	jwtKey       *rsa.PublicKey // JWT bearer
	jwtUser      string         //
	sessions     map[string]fakeSession
	userLogins   map[string]string // user → UserLogin Id
	frozen       map[string]bool   // UserLogin Id
	resets       map[string]int    // user → password resets
	newPassword  string
	mayDelete    map[string]bool // sessions a delete may name
	mayContain   map[string]bool // users a freeze or reset may name
	deleted      map[string]int  // successful deletes per session
	sent         map[string]int  // delete requests naming each session
	itemErrors   map[string]string
	writes       int // requests that could change the org
	requests     int
	pageSize     int
	used, limit  int
	faults       map[string][]fault // by route: token, query, delete, freeze, password
	pages        map[string][]map[string]any
}

type fakeSession struct {
	user    string
	current bool
}

// fault is one injected misbehaviour, used by the next request to its route.
type fault struct {
	status     int           // answer with this status and errorCode
	code       string        //
	delay      time.Duration // answer this much later (a slow org)
	drop       bool          // close the connection without an answer
	process    int           // deletes: end this many of the ids before the fault
	then       func()        // run after the fault, before the connection closes
	echo       bool          // the error message repeats the request's Authorization header
	retryAfter string        // sent as the Retry-After header with status
	next       string        // queries: answer an empty page whose nextRecordsUrl is this, {token} replaced by the access token
}

func newFakeOrg(t testing.TB) *fakeOrg {
	o := &fakeOrg{t: t, version: "v66.0", token: "00Dfake!AccessTokenSECRET-0", clientID: "3MVGfakeClientId",
		clientSecret: "fake-client-SECRET-value", sessions: map[string]fakeSession{}, userLogins: map[string]string{},
		frozen: map[string]bool{}, resets: map[string]int{}, newPassword: "NewPassw0rd-SECRET!",
		mayDelete: map[string]bool{}, mayContain: map[string]bool{}, deleted: map[string]int{}, sent: map[string]int{},
		itemErrors: map[string]string{}, pageSize: 2000, used: 1000, limit: 100000, faults: map[string][]fault{},
		pages: map[string][]map[string]any{}}
	o.srv = httptest.NewTLSServer(http.HandlerFunc(o.serve))
	t.Cleanup(o.srv.Close)
	return o
}

// reQueryKey finds the object and the first condition of a query, which
// name a route of their own for faults: "query AuthSession UsersId" is the
// search for a user's sessions, while "query" is every query.
var reQueryKey = regexp.MustCompile(`FROM (\w+) WHERE (\w+)`)

func (o *fakeOrg) inject(route string, f ...fault) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.faults[route] = append(o.faults[route], f...)
}

func (o *fakeOrg) nextFault(route string) (fault, bool) {
	q := o.faults[route]
	if len(q) == 0 {
		return fault{}, false
	}
	o.faults[route] = q[1:]
	return q[0], true
}

func (o *fakeOrg) addSession(id, user string, current bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sessions[id] = fakeSession{user: user, current: current}
}

func (o *fakeOrg) accessToken() AccessToken {
	return AccessToken{InstanceURL: o.srv.URL, Token: NewSecret(o.token)}
}

func (o *fakeOrg) orgOptions(creds Credentials) OrgOptions {
	return OrgOptions{Credentials: creds, HTTPClient: o.srv.Client(), RequestTimeout: 2 * time.Second,
		Sleep: func(ctx context.Context, d time.Duration) error { return ctx.Err() }}
}

func (o *fakeOrg) writeCount() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.writes
}

func (o *fakeOrg) fail(w http.ResponseWriter, format string, args ...any) {
	o.t.Errorf("fake org: "+format, args...)
	writeJSON(w, http.StatusNotFound, []map[string]string{{"errorCode": "NOT_FOUND", "message": "unexpected request"}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

var (
	reData     = regexp.MustCompile(`^/services/data/(v[0-9.]+)(/.*)$`)
	reQuery    = regexp.MustCompile(`^/query/(01g[A-Za-z0-9-]+)$`)
	reSession  = regexp.MustCompile(`^/sobjects/AuthSession/([A-Za-z0-9]{18})$`)
	reLogin    = regexp.MustCompile(`^/sobjects/UserLogin/([A-Za-z0-9]{18})$`)
	rePassword = regexp.MustCompile(`^/sobjects/User/([A-Za-z0-9]{18})/password$`)
	soqlIn     = regexp.MustCompile(`^SELECT Id FROM AuthSession WHERE Id IN \('([A-Za-z0-9',]+)'\)$`)
	soqlUser   = regexp.MustCompile(`^SELECT Id FROM AuthSession WHERE UsersId = '([A-Za-z0-9]{18})'$`)
	soqlLogin  = regexp.MustCompile(`^SELECT Id FROM UserLogin WHERE UserId = '([A-Za-z0-9]{18})'$`)
)

func (o *fakeOrg) serve(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.requests++
	if r.URL.Path == "/services/oauth2/token" && r.Method == http.MethodPost {
		o.serveToken(w, r)
		return
	}
	m := reData.FindStringSubmatch(r.URL.Path)
	if m == nil {
		o.fail(w, "unknown route %s %s", r.Method, r.URL.Path)
		return
	}
	if m[1] != o.version {
		o.fail(w, "API version %s, want %s", m[1], o.version)
		return
	}
	o.used++
	w.Header().Set("Sforce-Limit-Info", fmt.Sprintf("api-usage=%d/%d", o.used, o.limit))
	if r.Header.Get("Authorization") != "Bearer "+o.token {
		writeJSON(w, http.StatusUnauthorized, []map[string]string{{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}})
		return
	}
	path := m[2]
	route, handle := o.route(r.Method, path)
	if handle == nil {
		o.fail(w, "unknown route %s %s", r.Method, r.URL.String())
		return
	}
	if route != "query" {
		o.writes++
	}
	f, ok := fault{}, false
	if m := reQueryKey.FindStringSubmatch(r.URL.Query().Get("q")); route == "query" && m != nil {
		f, ok = o.nextFault("query " + m[1] + " " + m[2])
	}
	if !ok {
		f, ok = o.nextFault(route)
	}
	if !ok {
		handle(w, r, -1)
		return
	}
	if f.delay > 0 {
		o.mu.Unlock()
		time.Sleep(f.delay)
		o.mu.Lock()
	}
	if f.process > 0 {
		handle(httptest.NewRecorder(), r, f.process)
	}
	if f.then != nil {
		f.then()
	}
	switch {
	case f.drop:
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			o.t.Errorf("fake org: hijack: %v", err)
			return
		}
		conn.Close()
	case f.next != "":
		writeJSON(w, http.StatusOK, map[string]any{"done": false, "records": []any{},
			"nextRecordsUrl": strings.ReplaceAll(f.next, "{token}", o.token)})
	case f.status != 0:
		msg := "injected"
		if f.echo {
			msg = "echo " + r.Header.Get("Authorization")
		}
		if f.retryAfter != "" {
			w.Header().Set("Retry-After", f.retryAfter)
		}
		writeJSON(w, f.status, []map[string]string{{"message": msg, "errorCode": f.code}})
	default:
		handle(w, r, -1)
	}
}

// route names a request's route and returns its handler; limit, when not
// negative, makes a collections delete end only the first limit ids.
func (o *fakeOrg) route(method, path string) (string, func(http.ResponseWriter, *http.Request, int)) {
	switch {
	case method == http.MethodGet && path == "/query":
		return "query", func(w http.ResponseWriter, r *http.Request, _ int) { o.serveQuery(w, r.URL.Query().Get("q")) }
	case method == http.MethodGet && reQuery.MatchString(path):
		return "query", func(w http.ResponseWriter, r *http.Request, _ int) {
			o.servePage(w, reQuery.FindStringSubmatch(path)[1])
		}
	case method == http.MethodDelete && path == "/composite/sobjects":
		return "delete", o.serveCollectionsDelete
	case method == http.MethodDelete && reSession.MatchString(path):
		return "delete", func(w http.ResponseWriter, r *http.Request, _ int) {
			id := reSession.FindStringSubmatch(path)[1]
			if code := o.deleteOne(id); code != "" {
				writeJSON(w, http.StatusNotFound, []map[string]string{{"message": "gone", "errorCode": code}})
				return
			}
			w.WriteHeader(http.StatusNoContent)
		}
	case method == http.MethodPatch && reLogin.MatchString(path):
		return "freeze", func(w http.ResponseWriter, r *http.Request, _ int) {
			o.serveFreeze(w, r, reLogin.FindStringSubmatch(path)[1])
		}
	case method == http.MethodDelete && rePassword.MatchString(path):
		return "password", func(w http.ResponseWriter, r *http.Request, _ int) {
			user := rePassword.FindStringSubmatch(path)[1]
			if !o.mayContain[user] {
				o.fail(w, "password reset of user %s, which may not be contained", user)
				return
			}
			o.resets[user]++
			writeJSON(w, http.StatusOK, map[string]string{"NewPassword": o.newPassword})
		}
	}
	return "", nil
}

func (o *fakeOrg) serveToken(w http.ResponseWriter, r *http.Request) {
	f, _ := o.nextFault("token")
	// The form is read first: the server notices a client that gave up
	// only once the request's body is read.
	formErr := r.ParseForm()
	if f.delay > 0 {
		// A client that gave up ends the wait: nothing the token endpoint
		// does after it matters, and the server's Close would wait it out.
		o.mu.Unlock()
		select {
		case <-time.After(f.delay):
		case <-r.Context().Done():
		}
		o.mu.Lock()
	}
	if f.status != 0 {
		writeJSON(w, f.status, map[string]string{"error": f.code, "error_description": "injected " + o.clientSecret})
		return
	}
	if formErr != nil {
		o.fail(w, "token: %v", formErr)
		return
	}
	bad := func(why string) {
		// The description quotes a secret so that a test notices if an error ever repeats the body.
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant", "error_description": why + " " + o.clientSecret})
	}
	switch r.PostForm.Get("grant_type") {
	case "client_credentials":
		if r.PostForm.Get("client_id") != o.clientID || r.PostForm.Get("client_secret") != o.clientSecret {
			bad("invalid client credentials")
			return
		}
	case "urn:ietf:params:oauth:grant-type:jwt-bearer":
		if why := o.checkJWT(r.PostForm.Get("assertion")); why != "" {
			bad(why)
			return
		}
	default:
		o.fail(w, "token: grant_type %q", r.PostForm.Get("grant_type"))
		return
	}
	o.issued++
	o.token = "00Dfake!AccessTokenSECRET-" + strconv.Itoa(o.issued)
	writeJSON(w, http.StatusOK, map[string]string{"access_token": o.token, "instance_url": o.srv.URL,
		"id": o.srv.URL + "/id/00Dxx0000001gPL/005xx000001SvKk", "token_type": "Bearer", "issued_at": "1764151200000", "signature": "sig"})
}

func (o *fakeOrg) checkJWT(assertion string) string {
	parts := strings.Split(assertion, ".")
	if len(parts) != 3 || o.jwtKey == nil {
		return "malformed assertion"
	}
	enc := base64.RawURLEncoding
	header, _ := enc.DecodeString(parts[0])
	if string(header) != `{"alg":"RS256","typ":"JWT"}` {
		return "header " + string(header)
	}
	sig, _ := enc.DecodeString(parts[2])
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(o.jwtKey, crypto.SHA256, digest[:], sig) != nil {
		return "bad signature"
	}
	var claims struct {
		Iss, Sub, Aud string
		Exp           int64
	}
	body, _ := enc.DecodeString(parts[1])
	if err := json.Unmarshal(body, &claims); err != nil {
		return "claims: " + err.Error()
	}
	now := time.Now().Unix()
	if claims.Iss != o.clientID || claims.Sub != o.jwtUser || claims.Aud != o.srv.URL || claims.Exp < now || claims.Exp > now+600 {
		return fmt.Sprintf("claims %+v", claims)
	}
	return ""
}

func (o *fakeOrg) serveQuery(w http.ResponseWriter, soql string) {
	var ids []string
	fields := []string{"Id"}
	switch {
	case soql == "SELECT Id, UsersId FROM AuthSession WHERE IsCurrent = true":
		fields = append(fields, "UsersId")
		for id, s := range o.sessions {
			if s.current {
				ids = append(ids, id)
			}
		}
	case soqlIn.MatchString(soql):
		list := strings.Split(soqlIn.FindStringSubmatch(soql)[1], "','")
		if len(list) > 200 {
			o.fail(w, "query with %d ids", len(list))
			return
		}
		for _, id := range list {
			if _, ok := o.sessions[id]; ok {
				ids = append(ids, id)
			}
		}
	case soqlUser.MatchString(soql):
		user := soqlUser.FindStringSubmatch(soql)[1]
		for id, s := range o.sessions {
			if s.user == user {
				ids = append(ids, id)
			}
		}
	case soqlLogin.MatchString(soql):
		if login, ok := o.userLogins[soqlLogin.FindStringSubmatch(soql)[1]]; ok {
			ids = append(ids, login)
		}
	default:
		o.fail(w, "unknown query %q", soql)
		return
	}
	sort.Strings(ids)
	object := "AuthSession"
	if strings.Contains(soql, "FROM UserLogin") {
		object = "UserLogin"
	}
	var recs []map[string]any
	for _, id := range ids {
		rec := map[string]any{"attributes": map[string]string{"type": object, "url": "/services/data/" + o.version + "/sobjects/" + object + "/" + id}, "Id": id}
		if len(fields) > 1 {
			rec["UsersId"] = o.sessions[id].user
		}
		recs = append(recs, rec)
	}
	o.writePage(w, recs, len(recs))
}

func (o *fakeOrg) servePage(w http.ResponseWriter, cursor string) {
	recs, ok := o.pages[cursor]
	if !ok {
		o.fail(w, "unknown query cursor %s", cursor)
		return
	}
	delete(o.pages, cursor)
	o.writePage(w, recs, -1)
}

func (o *fakeOrg) writePage(w http.ResponseWriter, recs []map[string]any, total int) {
	res := map[string]any{"done": true}
	if total >= 0 {
		res["totalSize"] = total
	}
	if len(recs) > o.pageSize {
		cursor := fmt.Sprintf("01gFAKE%d-%d", o.requests, o.pageSize)
		o.pages[cursor] = recs[o.pageSize:]
		recs = recs[:o.pageSize]
		res["done"] = false
		res["nextRecordsUrl"] = "/services/data/" + o.version + "/query/" + cursor
	}
	if recs == nil {
		recs = []map[string]any{}
	}
	res["records"] = recs
	writeJSON(w, http.StatusOK, res)
}

// deleteOne ends a session and returns "" or the error code of an item.
func (o *fakeOrg) deleteOne(id string) string {
	if !o.mayDelete[id] {
		o.t.Errorf("fake org: delete of session %s, which is not approved", id)
		return "INSUFFICIENT_ACCESS"
	}
	o.sent[id]++
	if code, ok := o.itemErrors[id]; ok {
		return code
	}
	if _, ok := o.sessions[id]; !ok {
		return "ENTITY_IS_DELETED"
	}
	delete(o.sessions, id)
	o.deleted[id]++
	return ""
}

func (o *fakeOrg) serveCollectionsDelete(w http.ResponseWriter, r *http.Request, limit int) {
	q := r.URL.Query()
	if q.Get("allOrNone") != "false" {
		o.fail(w, "collections delete with allOrNone=%q", q.Get("allOrNone"))
		return
	}
	ids := strings.Split(q.Get("ids"), ",")
	if len(ids) > 200 {
		o.fail(w, "collections delete of %d ids", len(ids))
		return
	}
	if limit >= 0 {
		ids = ids[:min(limit, len(ids))]
	}
	items := []map[string]any{}
	for _, id := range ids {
		item := map[string]any{"id": id, "success": true, "errors": []any{}}
		if code := o.deleteOne(id); code != "" {
			item["success"] = false
			item["errors"] = []map[string]any{{"statusCode": code, "message": "item error", "fields": []string{}}}
		}
		items = append(items, item)
	}
	writeJSON(w, http.StatusOK, items)
}

func (o *fakeOrg) serveFreeze(w http.ResponseWriter, r *http.Request, login string) {
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || len(body) != 1 || body["IsFrozen"] != true {
		o.fail(w, "freeze body %v (%v)", body, err)
		return
	}
	for user, l := range o.userLogins {
		if l == login {
			if !o.mayContain[user] {
				o.fail(w, "freeze of user %s, which may not be contained", user)
				return
			}
			o.frozen[login] = true
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	o.fail(w, "freeze of unknown UserLogin %s", login)
}
