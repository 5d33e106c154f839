package main

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// The --memory-limit budget is the whole process's, as an operator means it
// (and as peak RSS measures it). DuckDB's own limit covers only its buffer
// pool and it overshoots that by some 10% at peak, while the report writers
// and the Go runtime need the rest: DuckDB gets duckdbShare of the budget and
// Go's soft heap limit goShare.
const (
	duckdbShare = 0.60
	goShare     = 0.20
)

var sizePattern = regexp.MustCompile(`^\s*([0-9]+(?:\.[0-9]+)?)\s*([KMGT]I?B|B)?\s*$`)

// parseSize reads sizes such as 2GB, 1.5GiB, 512MB or 1000000 (bytes). Units
// without "i" are decimal (1 GB = 10^9 bytes), as DuckDB reads them.
func parseSize(s string) (int64, error) {
	m := sizePattern.FindStringSubmatch(strings.ToUpper(s))
	if m == nil {
		return 0, fmt.Errorf("%q is not a size such as 2GB, 1.5GiB or 512MB", s)
	}
	n, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a size such as 2GB, 1.5GiB or 512MB", s)
	}
	mult := map[string]float64{"": 1, "B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
		"KIB": 1 << 10, "MIB": 1 << 20, "GIB": 1 << 30, "TIB": 1 << 40}[m[2]]
	v := n * mult
	// Below 1 GB DuckDB's CSV reader, whose buffers take some 150 MB a
	// thread, does not fit: 512MB failed on a 1M-login export, and at 768MB
	// a 10M-login audit overran its budget (798 MiB); at 1GB it peaked at
	// 934 MiB, within it (2026-11-29).
	if v < 1e9 || v > math.MaxInt64/2 {
		return 0, fmt.Errorf("%q is outside 1GB to many TB", s)
	}
	return int64(v), nil
}
