// Command skew copies a generated org's exports with one user, or one IP,
// made heavy: every m-th login (and every m-th session) is given to it. The
// benchmark audits such copies for growing shares to show that no check is
// quadratic in one user's or one IP's logins: in the ordinary orgs every user
// has about a hundred logins, however large the org, so the sizes alone
// cannot show it.
//
// Usage: skew --by user|ip --every M --in DIR --out DIR
package main

import (
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
)

// heavyIP is the address the ip copies give their logins and sessions: not
// in the sample policy's trusted VPN (198.51.100.0/24) nor its denied
// network (203.0.113.0/24), so every check judges it.
const heavyIP = "100.64.0.1"

func main() {
	by := flag.String("by", "user", "what to make heavy: user or ip")
	every := flag.Int("every", 2, "give every M-th row to the heavy user or IP")
	in := flag.String("in", "", "the generated org (sessions.csv, logins.csv, users.csv)")
	out := flag.String("out", "", "where the copy goes")
	flag.Parse()
	if (*by != "user" && *by != "ip") || *every < 1 || *in == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "usage: skew --by user|ip --every M --in DIR --out DIR")
		os.Exit(2)
	}
	if err := run(*by, *every, *in, *out); err != nil {
		fmt.Fprintln(os.Stderr, "skew:", err)
		os.Exit(1)
	}
}

func run(by string, every int, in, out string) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	// The heavy user is the first login's; the sessions export also names
	// the user, so it gets the name that goes with the Id.
	user, name, err := firstUser(filepath.Join(in, "sessions.csv"))
	if err != nil {
		return err
	}
	var heavy int64
	for _, f := range []struct {
		file string
		set  map[string]string // column -> value
	}{
		{"logins.csv", map[string]string{"UserId": user, "SourceIp": heavyIP}},
		{"sessions.csv", map[string]string{"UsersId": user, "Users.Username": name, "SourceIp": heavyIP}},
	} {
		cols := []string{"SourceIp"}
		if by == "user" {
			cols = []string{"UserId", "UsersId", "Users.Username"}
		}
		set := map[string]string{}
		for _, c := range cols {
			if v, ok := f.set[c]; ok {
				set[c] = v
			}
		}
		n, err := rewrite(filepath.Join(in, f.file), filepath.Join(out, f.file), every, set)
		if err != nil {
			return err
		}
		if f.file == "logins.csv" {
			heavy = n
		}
	}
	b, err := os.ReadFile(filepath.Join(in, "users.csv"))
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "users.csv"), b, 0o644); err != nil {
		return err
	}
	fmt.Println(heavy)
	return nil
}

// firstUser returns the user Id and username of the first session.
func firstUser(path string) (id, name string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", "", err
	}
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		return "", "", fmt.Errorf("%s: %w", path, err)
	}
	rec, err := r.Read()
	if err != nil {
		return "", "", fmt.Errorf("%s: %w", path, err)
	}
	idCol, nameCol := slices.Index(header, "UsersId"), slices.Index(header, "Users.Username")
	if idCol < 0 || nameCol < 0 {
		return "", "", fmt.Errorf("%s: no UsersId or Users.Username column", path)
	}
	return rec[idCol], rec[nameCol], nil
}

// rewrite copies a CSV export, setting the columns of set on every m-th
// record, and returns how many records it set.
func rewrite(from, to string, m int, set map[string]string) (int64, error) {
	in, err := os.Open(from)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return 0, err
	}
	r, w := csv.NewReader(in), csv.NewWriter(out)
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		out.Close()
		return 0, fmt.Errorf("%s: %w", from, err)
	}
	at := map[int]string{}
	for c, v := range set {
		i := slices.Index(header, c)
		if i < 0 {
			out.Close()
			return 0, fmt.Errorf("%s: no %s column", from, c)
		}
		at[i] = v
	}
	if err := w.Write(header); err != nil {
		out.Close()
		return 0, err
	}
	var n, set64 int64
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			out.Close()
			return 0, fmt.Errorf("%s: %w", from, err)
		}
		if n%int64(m) == 0 {
			for i, v := range at {
				rec[i] = v
			}
			set64++
		}
		n++
		if err := w.Write(rec); err != nil {
			out.Close()
			return 0, err
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		out.Close()
		return 0, err
	}
	return set64, out.Close()
}
