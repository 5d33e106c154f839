package gen

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
)

// WriteDir generates the org described by cfg into the existing directory
// dir, all or nothing: every file is written under a temporary name
// (".logins.csv.<pid>.tmp") and takes its own name only once Generate has
// written them all, replacing a file of that name. When generation fails or
// ctx is done, WriteDir removes its temporaries and dir is left as it was.
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
	return nil
}

// removeTemps removes the temporaries not yet renamed. It is best effort:
// the error that stopped the run is the one to report.
func (d *dirOutputs) removeTemps() {
	for _, name := range d.names[d.renamed:] {
		os.Remove(d.temp(name))
	}
}
