package ingest

import (
	"net/netip"
	"strings"
)

// CanonicalIP reads an IPv4 or IPv6 address as exports write it and returns
// its canonical text (IPv4-mapped IPv6 unmapped, IPv6 compressed and lower
// case), or false when s is not an address. Zones and CIDR suffixes are not
// addresses of a client and are refused.
func CanonicalIP(s string) (string, bool) {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return "", false
	}
	return a.Unmap().String(), true
}
