package gen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// WriteDir generates the org described by cfg into the existing directory
// dir, all or nothing: every file is written under a temporary name
// (".logins.csv.<pid>.tmp") and takes its own name only once Generate has
// written them all, replacing a file of that name. Then the files an earlier
// run in another format or of another size wrote and this one did not
// (logins.csv.gz, logins-0042.json, a killed run's temporaries) are removed,
// so dir holds one org; files with other names are left alone. When
// generation fails or ctx is done, WriteDir removes its temporaries and dir
// is left as it was.
func WriteDir(ctx context.Context, cfg Config, dir string) (Stats, error) {
	d := &dirOutputs{dir: dir, tag: "." + strconv.Itoa(os.Getpid()) + ".tmp"}
	st, err := Generate(ctx, cfg, d)
	if err == nil {
		err = d.commit()
	}
	if err != nil {
		d.removeTemps()
		return Stats{}, err
	}
	return st, nil
}

// dirOutputs creates files under temporary names in dir and remembers them,
// one name per file (a JSON page holds 2,000 records, so the list stays
// small next to the output).
type dirOutputs struct {
	dir     string
	tag     string
	names   []string // the files' own names, in the order created
	renamed int      // how many of names commit has renamed
}

func (d *dirOutputs) temp(name string) string { return filepath.Join(d.dir, "."+name+d.tag) }

func (d *dirOutputs) Create(name string) (io.WriteCloser, error) {
	f, err := os.OpenFile(d.temp(name), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o666)
	if err != nil {
		return nil, err
	}
	d.names = append(d.names, name)
	return f, nil
}

// commit gives every file its own name. It does not look at ctx: once every
// file is complete, putting them in place takes a moment and an interrupt
// then would leave a mix of old and new files.
func (d *dirOutputs) commit() error {
	for _, name := range d.names[d.renamed:] {
		if err := os.Rename(d.temp(name), filepath.Join(d.dir, name)); err != nil {
			return fmt.Errorf("putting %s in place: %w", name, err)
		}
		d.renamed++
	}
	return d.removeStale()
}

// generatedName matches every name Generate gives a file, in any format and
// of any size, and WriteDir's temporaries of them.
var generatedName = func() *regexp.Regexp {
	tables := strings.Join([]string{sessionTable.file, loginTable.file, userTable.file}, "|")
	name := `(?:` + tables + `)(?:\.csv|\.csv\.gz|-[0-9]{4,}\.json)`
	return regexp.MustCompile(`^(?:` + name + `|\.` + name + `\.[0-9]+\.tmp)$`)
}()

// removeStale removes the files in d.dir that are named as Generate names
// files but were not written by this run.
func (d *dirOutputs) removeStale() error {
	entries, err := os.ReadDir(d.dir)
	if err != nil {
		return fmt.Errorf("listing %s for files of an earlier run: %w", d.dir, err)
	}
	written := make(map[string]bool, len(d.names))
	for _, name := range d.names {
		written[name] = true
	}
	for _, e := range entries {
		if e.IsDir() || written[e.Name()] || !generatedName.MatchString(e.Name()) {
			continue
		}
		if err := os.Remove(filepath.Join(d.dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("removing %s, left by an earlier run: %w", e.Name(), err)
		}
	}
	return nil
}

// removeTemps removes the temporaries not yet renamed. It is best effort:
// the error that stopped the run is the one to report.
func (d *dirOutputs) removeTemps() {
	for _, name := range d.names[d.renamed:] {
		os.Remove(d.temp(name))
	}
}
