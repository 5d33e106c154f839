package ingest

import (
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/sessionaudit/sessionaudit/sfid"
)

// Kind names what an export holds. It comes from the command-line flag the
// file was given with; the file's content decides its format and shape.
type Kind string

// The kinds of export the audit reads.
const (
	Sessions Kind = "sessions"
	Logins   Kind = "logins"
	Users    Kind = "users"
	Geo      Kind = "geo"
)

// field is one column of the canonical parsed layout of a kind, with the
// header spellings that map to it. Aliases are compared after normalising
// (lower case, letters and digits only), so "Users.Username", "users_username"
// and "USERS USERNAME" are one column, and so are "Login Time" and "LoginTime".
type field struct {
	name    string
	aliases []string
}

// A shape is a family of headers for one kind: the API field names of Bulk
// API, Data Loader, sf CLI and REST exports, or the labels of the file
// downloaded from Setup > Login History.
type shape struct {
	name     string
	fields   []field
	required []string // canonical names that must have a column
}

var sessionFields = []field{
	{"id", []string{"id"}},
	{"user_id", []string{"usersid"}},
	{"username", []string{"usersusername", "username"}},
	{"created", []string{"createddate"}},
	{"last_modified", []string{"lastmodifieddate"}},
	{"num_seconds_valid", []string{"numsecondsvalid"}},
	{"user_type", []string{"usertype"}},
	{"source_ip", []string{"sourceip"}},
	{"login_type", []string{"logintype"}},
	{"session_type", []string{"sessiontype"}},
	{"session_security_level", []string{"sessionsecuritylevel"}},
	{"parent_id", []string{"parentid"}},
	{"login_history_id", []string{"loginhistoryid"}},
	{"login_geo_id", []string{"logingeoid"}},
	{"is_current", []string{"iscurrent"}},
	{"city", []string{"logingeocity"}},
	{"country", []string{"logingeocountry"}},
	{"country_iso", []string{"logingeocountryiso"}},
	{"latitude", []string{"logingeolatitude"}},
	{"longitude", []string{"logingeolongitude"}},
}

var loginFields = []field{
	{"id", []string{"id"}},
	{"user_id", []string{"userid"}},
	{"username", []string{"userusername", "username"}},
	{"login_time", []string{"logintime"}},
	{"source_ip", []string{"sourceip"}},
	{"status", []string{"status"}},
	{"country_iso", []string{"countryiso", "countrycode"}},
	{"login_geo_id", []string{"logingeoid"}},
	{"city", []string{"logingeocity"}},
	{"country", []string{"logingeocountry"}},
	{"geo_country_iso", []string{"logingeocountryiso"}},
	{"latitude", []string{"logingeolatitude"}},
	{"longitude", []string{"logingeolongitude"}},
	{"location", []string{"location"}},
}

var userFields = []field{
	{"id", []string{"id"}},
	{"username", []string{"username"}},
	{"name", []string{"name"}},
	{"user_type", []string{"usertype"}},
	{"is_active", []string{"isactive"}},
	{"profile_name", []string{"profilename"}},
}

var geoFields = []field{
	{"id", []string{"id"}},
	{"city", []string{"city"}},
	{"country", []string{"country"}},
	{"country_iso", []string{"countryiso"}},
	{"latitude", []string{"latitude"}},
	{"longitude", []string{"longitude"}},
	{"subdivision", []string{"subdivision"}},
	{"postal_code", []string{"postalcode"}},
}

// shapes lists, per kind, the header families tried in order.
var shapes = map[Kind][]shape{
	Sessions: {{"api", sessionFields, []string{"id", "user_id", "created", "last_modified", "num_seconds_valid", "session_type", "source_ip"}}},
	Logins: {
		{"api", loginFields, []string{"id", "user_id", "login_time", "source_ip", "status"}},
		{"setup", loginFields, []string{"username", "login_time", "source_ip", "status"}},
	},
	Users: {{"api", userFields, []string{"id", "username"}}},
	Geo:   {{"api", geoFields, []string{"id"}}},
}

// canonicalColumns is the parsed layout of a kind: every field name in order.
func canonicalColumns(k Kind) []string {
	fs := shapes[k][0].fields
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.name
	}
	return out
}

// normalizeHeader folds a header cell for matching: letters and digits only, lower case.
func normalizeHeader(h string) string {
	var b strings.Builder
	for _, r := range h {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// headerMapping is the result of matching a file's header against a kind.
type headerMapping struct {
	shape string
	// column[i] is the canonical field read from header cell i, or "" when
	// the cell is not one the audit uses.
	column []string
	// repeat, when set, holds the first two cells naming one field: only
	// the first is read, so matchHeader refuses the header.
	repeat []int
}

// MissingColumnsError reports a file whose header lacks columns the audit needs.
type MissingColumnsError struct {
	File    string
	Kind    Kind
	Missing []string // canonical names, in the header spelling a user would write
	Found   []string // the header cells as they appear in the file
	// Fits is another kind whose columns the header has all of, when one
	// does: the file was most likely given to the wrong flag.
	Fits Kind
}

func (e *MissingColumnsError) Error() string {
	columns := "columns"
	if len(e.Missing) == 1 {
		columns = "column"
	}
	msg := "file " + e.File + " is not a usable " + string(e.Kind) + " export: missing " + columns + " " +
		strings.Join(e.Missing, ", ") + "; the header has: " + truncate(sfid.RedactTokens(strings.Join(e.Found, ", ")), 2000)
	if e.Fits != "" {
		msg += fmt.Sprintf(". It has the columns of a %s export: was it meant for --%s?", e.Fits, e.Fits)
	}
	return msg
}

// apiNames gives the Salesforce spelling of canonical names for messages.
var apiNames = map[string]string{
	"id": "Id", "user_id": "UserId", "username": "Username", "created": "CreatedDate",
	"last_modified": "LastModifiedDate", "num_seconds_valid": "NumSecondsValid",
	"session_type": "SessionType", "source_ip": "SourceIp", "login_time": "LoginTime", "status": "Status",
}

// matchHeader maps header cells to canonical fields, trying each shape of the
// kind and taking the first whose required columns are all present. When none
// fits, the error lists what the closest shape missed.
func matchHeader(file string, k Kind, header []string) (headerMapping, error) {
	m, err := matchShapes(file, k, header)
	if err == nil {
		// A header naming one field twice ("SourceIp" and "SOURCEIP", or
		// "CountryIso" and "Country Code"): only one of the two columns
		// could be read, and the other's values would be dropped unseen.
		if r := m.repeat; r != nil {
			return headerMapping{}, &InputError{File: file, Err: fmt.Errorf("the header names one field twice: column %d (%q) and column %d (%q); keep one of them",
				r[0]+1, strings.TrimSpace(header[r[0]]), r[1]+1, strings.TrimSpace(header[r[1]]))}
		}
		return m, nil
	}
	// A header with a column only this kind has is this kind's export
	// missing another, not another kind's: a sessions export without
	// SessionType must not be sent to --users for its Id and Username.
	have := fieldsOf(k, header)
	if slices.ContainsFunc(ownFields[k], func(f string) bool { return have[f] }) {
		return headerMapping{}, err
	}
	// Geo needs only an Id, which every API export has: it would fit all.
	for _, other := range []Kind{Sessions, Logins, Users} {
		if other == k {
			continue
		}
		if _, e := matchShapes(file, other, header); e == nil {
			err.Fits = other
			break
		}
	}
	return headerMapping{}, err
}

// ownFields are the fields a kind requires that no other object's export
// has (every sObject has CreatedDate and LastModifiedDate: a User export
// given as sessions still gets its hint).
var ownFields = map[Kind][]string{
	Sessions: {"num_seconds_valid", "session_type"},
	Logins:   {"login_time"},
}

// fieldsOf says which of kind k's fields the header's cells name, in any
// of its shapes.
func fieldsOf(k Kind, header []string) map[string]bool {
	have := map[string]bool{}
	for _, sh := range shapes[k] {
		byAlias := sh.byAlias()
		for _, h := range header {
			if name := byAlias[normalizeHeader(h)]; name != "" {
				have[name] = true
			}
		}
	}
	return have
}

// byAlias maps each normalised header spelling of the shape's fields to the
// field's name.
func (sh shape) byAlias() map[string]string {
	m := map[string]string{}
	for _, f := range sh.fields {
		for _, a := range f.aliases {
			m[a] = f.name
		}
	}
	return m
}

// matchShapes is matchHeader without looking at other kinds.
func matchShapes(file string, k Kind, header []string) (headerMapping, *MissingColumnsError) {
	var best *MissingColumnsError
	for _, sh := range shapes[k] {
		byAlias := sh.byAlias()
		m := headerMapping{shape: sh.name, column: make([]string, len(header))}
		seen := map[string]bool{}
		for i, h := range header {
			name := byAlias[normalizeHeader(h)]
			if name == "" {
				continue // unused column
			}
			if seen[name] {
				if m.repeat == nil {
					m.repeat = []int{slices.Index(m.column, name), i}
				}
				continue
			}
			// In the API shape a bare "Username" belongs to sessions' Users.Username
			// and logins' User.Username alike; Setup labels use it directly.
			seen[name] = true
			m.column[i] = name
		}
		// A Setup download shows no Ids and no API field names: a header
		// with an Id, a user's Id, User.Username or a LoginGeo field is an
		// API export missing a column, whose Ids must not be thrown away
		// (overlapping exports are de-duplicated by them).
		if sh.name == "setup" && apiOnly(seen, header) {
			continue
		}
		var missing []string
		for _, r := range sh.required {
			if !seen[r] {
				n := apiNames[r]
				if k == Sessions && r == "user_id" {
					n = "UsersId" // AuthSession's name for it
				}
				if sh.name == "setup" {
					n = setupLabels[r]
				}
				missing = append(missing, n)
			}
		}
		if len(missing) == 0 {
			return m, nil
		}
		if best == nil || len(missing) < len(best.Missing) {
			best = &MissingColumnsError{File: file, Kind: k, Missing: missing, Found: header}
		}
	}
	return headerMapping{}, best
}

// apiOnly says whether a Login History header has a field only API exports
// have.
func apiOnly(seen map[string]bool, header []string) bool {
	for _, f := range []string{"id", "user_id", "login_geo_id", "city", "country", "geo_country_iso", "latitude", "longitude"} {
		if seen[f] {
			return true
		}
	}
	return slices.ContainsFunc(header, func(h string) bool { return normalizeHeader(h) == "userusername" })
}

var setupLabels = map[string]string{
	"username": "Username", "login_time": "Login Time", "source_ip": "Source IP", "status": "Status",
}
