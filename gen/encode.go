package gen

import (
	"net/netip"
	"strings"
)

// kind says how a field is written: bare or quoted, and how times look.
type kind uint8

const (
	kNull   kind = iota
	kText        // s
	kNumber      // s holds a decimal written bare in JSON
	kInt         // n
	kBool        // n is 0 or 1
	kTime        // n is Unix seconds, UTC
	kID          // s is the key prefix, n the record number
	kIP          // ip
)

// field is one value of a row, kept unformatted so each format writes it its
// own way without an intermediate string.
type field struct {
	k  kind
	s  string
	n  int64
	ip netip.Addr
}

func textField(s string) field {
	if s == "" {
		return field{}
	}
	return field{k: kText, s: s}
}

func intField(n int64) field                { return field{k: kInt, n: n} }
func timeField(t int64) field               { return field{k: kTime, n: t} }
func idField(prefix string, n uint64) field { return field{k: kID, s: prefix, n: int64(n)} }
func ipField(ip netip.Addr) field           { return field{k: kIP, ip: ip} }

func boolField(b bool) field {
	if b {
		return field{k: kBool, n: 1}
	}
	return field{k: kBool}
}

// fillGeo writes the five LoginGeo columns of city c, or nulls for c < 0.
func fillGeo(dst []field, c int) {
	if c < 0 {
		clear(dst[:5])
		return
	}
	dst[0] = textField(cities[c].name)
	dst[1] = textField(cities[c].country)
	dst[2] = textField(cities[c].iso)
	dst[3] = field{k: kNumber, s: cityText[c].lat}
	dst[4] = field{k: kNumber, s: cityText[c].lon}
}

// table is one exported object: its file name, sObject and columns in the
// order Salesforce exports them. Dotted columns are relationship fields;
// relations says where the related record's Id is, for REST's nested form.
type table struct {
	file      string
	sobject   string
	columns   []string
	relations []relation
}

type relation struct {
	name, sobject string
	id            func(row []field) field
}

var (
	sessionTable = &table{
		file:    "sessions",
		sobject: "AuthSession",
		columns: strings.Split("Id,UsersId,Users.Username,CreatedDate,LastModifiedDate,NumSecondsValid,UserType,SourceIp,LoginType,SessionType,SessionSecurityLevel,ParentId,LoginHistoryId,LoginGeoId,IsCurrent,LoginGeo.City,LoginGeo.Country,LoginGeo.CountryIso,LoginGeo.Latitude,LoginGeo.Longitude", ","),
		relations: []relation{
			{"Users", "User", func(row []field) field { return row[1] }},
			{"LoginGeo", "LoginGeo", func(row []field) field { return row[13] }},
		},
	}
	loginTable = &table{
		file:      "logins",
		sobject:   "LoginHistory",
		columns:   strings.Split("Id,UserId,LoginTime,LoginType,LoginSubType,SourceIp,Status,Browser,Platform,Application,LoginUrl,CountryIso,LoginGeoId,LoginGeo.City,LoginGeo.Country,LoginGeo.CountryIso,LoginGeo.Latitude,LoginGeo.Longitude", ","),
		relations: []relation{{"LoginGeo", "LoginGeo", func(row []field) field { return row[12] }}},
	}
	userTable = &table{
		file:    "users",
		sobject: "User",
		columns: strings.Split("Id,Username,Name,UserType,IsActive,Profile.Name", ","),
		relations: []relation{{"Profile", "Profile", func(row []field) field {
			if id, ok := profileIDs[row[5].s]; ok {
				return textField(id)
			}
			return field{}
		}}},
	}
	// setupTable is the Login History download from Setup: labels, no Ids.
	setupTable = &table{
		file:    "logins",
		columns: strings.Split("Username,Login Time,Source IP,Location,Login Type,Status,Browser,Platform,Application,Login URL,Client Version,API Type,API Version,TLS Protocol,TLS Cipher Suite", ","),
	}
)
