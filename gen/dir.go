package gen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// ManifestName is the file in which WriteDir lists the files it wrote into a
// folder, one name a line. They are the only files a later WriteDir into
// that folder replaces or removes.
const ManifestName = ".sessionaudit-gen"

// manifestHeader opens every manifest; the rest is the names, sorted, so
// that equal runs write equal manifests.
const manifestHeader = `# sessionaudit gen: the files its last run wrote into this folder.
# The next run replaces or removes these and no other files.
`

// DirStats says what WriteDir did.
type DirStats struct {
	Stats
	// Removed lists, sorted, the files the folder's last run wrote and this
	// one did not (another format, fewer JSON pages), which it removed.
	Removed []string
	// OtherTemps lists, sorted, the temporaries of other runs in the folder:
	// those of a run still writing, or left by one that was killed. WriteDir
	// cannot tell which, so it leaves them.
	OtherTemps []string
}

// ConflictError is WriteDir's refusal of a folder holding files named as
// Generate names its outputs that the folder's manifest does not list: gen
// did not write them, or an earlier version of it did, which kept no
// manifest. WriteDir writes nothing into such a folder.
type ConflictError struct {
	Dir   string
	Files []string // the files not listed, sorted
	// NoManifest is set when Dir has no manifest at all.
	NoManifest bool
	// Folders lists, sorted, the folders in Dir named as files the run
	// wrote: no file can be put in place of one, so the run would fail
	// after putting some of its files in place.
	Folders []string
}

func (e *ConflictError) Error() string {
	var parts []string
	if len(e.Files) > 0 {
		why := "not listed in its " + ManifestName + " as written by gen"
		if e.NoManifest {
			why = "and no " + ManifestName + " listing what gen wrote there"
		}
		parts = append(parts, fmt.Sprintf("%s holds %s, named as gen's files, %s", e.Dir, JoinNames(e.Files), why))
	}
	if len(e.Folders) > 0 {
		what := "a folder"
		if len(e.Folders) > 1 {
			what = "folders"
		}
		parts = append(parts, fmt.Sprintf("%s holds %s named as gen's files, which no file can replace: %s", e.Dir, what, JoinNames(e.Folders)))
	}
	return strings.Join(parts, "; ")
}

// page splits a JSON page's name into its table and number.
var page = regexp.MustCompile(`^(.+)-([0-9]{4,})\.json$`)

// JoinNames joins sorted file names for a message, each run of JSON pages
// numbered one after the other as one range ("logins-0003.json to
// logins-0005.json"), so that an org of thousands of pages takes a line.
func JoinNames(names []string) string {
	var items []string
	for i := 0; i < len(names); {
		j := i + 1
		for j < len(names) && nextPage(names[j-1], names[j]) {
			j++
		}
		if j-i == 1 {
			items = append(items, names[i])
		} else {
			items = append(items, names[i]+" to "+names[j-1])
		}
		i = j
	}
	return strings.Join(items, ", ")
}

// nextPage reports whether b is the JSON page after a, of the same table.
func nextPage(a, b string) bool {
	ma, mb := page.FindStringSubmatch(a), page.FindStringSubmatch(b)
	if ma == nil || mb == nil || ma[1] != mb[1] {
		return false
	}
	na, _ := strconv.Atoi(ma[2])
	nb, _ := strconv.Atoi(mb[2])
	return nb == na+1
}

// WriteDir generates the org described by cfg into the existing directory
// dir, all or nothing: every file is written under a temporary name
// (".logins.csv.<pid>.tmp") and takes its own name only once Generate has
// written them all, replacing a file of that name that dir's manifest lists.
// Then the files the manifest lists and this run did not write (an earlier
// run's logins.csv.gz or logins-0042.json) are removed, so dir holds one
// org, and the manifest is rewritten to list this run's files.
//
// WriteDir never replaces or removes a file the manifest does not list: when
// dir holds one named as Generate names its outputs, in any format and of
// any size, it returns a *ConflictError and writes nothing. It checks both
// before generating and again before putting the files in place, when it
// also refuses a folder named as one of the files it wrote. Files of
// other names, and other runs' temporaries, are left alone. When generation
// fails or ctx is done, WriteDir removes its temporaries and dir is left as
// it was.
func WriteDir(ctx context.Context, cfg Config, dir string) (DirStats, error) {
	if _, err := readLastRun(dir); err != nil {
		return DirStats{}, err
	}
	d := &dirOutputs{dir: dir, tag: "." + strconv.Itoa(os.Getpid()) + ".tmp"}
	st, err := Generate(ctx, cfg, d)
	var ds DirStats
	if err == nil {
		ds, err = d.commit()
	}
	if err != nil {
		d.removeTemps()
		return DirStats{}, err
	}
	ds.Stats = st
	return ds, nil
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

// commit gives every file its own name, removes the last run's files that
// this one did not write, and lists this run's in the manifest. It does not
// look at ctx: once every file is complete, putting them in place takes a
// moment and an interrupt then would leave a mix of old and new files.
func (d *dirOutputs) commit() (DirStats, error) {
	// Generating takes a while: a file may have come since WriteDir looked.
	last, err := readLastRun(d.dir)
	if err != nil {
		return DirStats{}, err
	}
	// Renaming a file onto a folder fails: a folder named as one of this
	// run's files is refused before any is put in place, not halfway through
	// (the new org's sessions beside the last one's logins).
	var folders []string
	for _, name := range d.names {
		if fi, err := os.Lstat(filepath.Join(d.dir, name)); err == nil && fi.IsDir() {
			folders = append(folders, name)
		}
	}
	if len(folders) > 0 {
		slices.Sort(folders)
		return DirStats{}, &ConflictError{Dir: d.dir, Folders: folders}
	}
	// Until the last run's files are gone, the manifest lists them and this
	// run's, so that a run killed in between leaves none unlisted.
	both := maps.Clone(last.listed)
	for _, name := range d.names {
		both[name] = true
	}
	if err := d.writeManifest(slices.Collect(maps.Keys(both))); err != nil {
		return DirStats{}, err
	}
	for _, name := range d.names[d.renamed:] {
		if err := os.Rename(d.temp(name), filepath.Join(d.dir, name)); err != nil {
			return DirStats{}, fmt.Errorf("putting %s in place: %w", name, err)
		}
		d.renamed++
	}
	var ds DirStats
	written := make(map[string]bool, len(d.names))
	temps := make(map[string]bool, len(d.names))
	for _, name := range d.names {
		written[name] = true
		temps[filepath.Base(d.temp(name))] = true
	}
	for _, name := range last.files {
		if written[name] {
			continue
		}
		err := os.Remove(filepath.Join(d.dir, name))
		if err == nil {
			ds.Removed = append(ds.Removed, name)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return DirStats{}, fmt.Errorf("removing %s, written by the last run: %w", name, err)
		}
	}
	if err := d.writeManifest(d.names); err != nil {
		return DirStats{}, err
	}
	for _, name := range last.temps {
		if !temps[name] {
			ds.OtherTemps = append(ds.OtherTemps, name)
		}
	}
	return ds, nil
}

// writeManifest replaces dir's manifest, atomically, with one listing names.
func (d *dirOutputs) writeManifest(names []string) error {
	var b strings.Builder
	b.WriteString(manifestHeader)
	for _, name := range slices.Sorted(slices.Values(names)) {
		b.WriteString(name + "\n")
	}
	tmp := filepath.Join(d.dir, ManifestName+d.tag)
	if err := os.WriteFile(tmp, []byte(b.String()), 0o666); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", ManifestName, err)
	}
	if err := os.Rename(tmp, filepath.Join(d.dir, ManifestName)); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("putting %s in place: %w", ManifestName, err)
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

// Every name Generate gives a file, in any format and of any size, and the
// temporaries WriteDir writes them under (the number is the writer's PID).
var (
	outputName, tempName = func() (*regexp.Regexp, *regexp.Regexp) {
		tables := strings.Join([]string{sessionTable.file, loginTable.file, userTable.file}, "|")
		name := `(?:` + tables + `)(?:\.csv|\.csv\.gz|-[0-9]{4,}\.json)`
		return regexp.MustCompile(`^` + name + `$`), regexp.MustCompile(`^\.` + name + `\.[0-9]+\.tmp$`)
	}()
)

// lastRun is what a folder holds of gen's.
type lastRun struct {
	listed map[string]bool // the output names the manifest lists
	files  []string        // the files present that it lists, sorted
	temps  []string        // temporaries of any run, sorted
}

// readLastRun reads dir's manifest and lists dir. It returns a
// *ConflictError when dir holds a file named as an output that the manifest
// does not list. Lines of the manifest that are not output names are
// ignored, so that a manifest edited by hand cannot make WriteDir remove
// any other file.
func readLastRun(dir string) (lastRun, error) {
	last := lastRun{listed: map[string]bool{}}
	b, err := os.ReadFile(filepath.Join(dir, ManifestName))
	noManifest := errors.Is(err, fs.ErrNotExist)
	if err != nil && !noManifest {
		return lastRun{}, fmt.Errorf("reading the list of gen's files: %w", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if name := strings.TrimSpace(line); outputName.MatchString(name) {
			last.listed[name] = true
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return lastRun{}, fmt.Errorf("listing %s: %w", dir, err)
	}
	var unlisted []string
	for _, e := range entries {
		// A folder named like an output is not a file gen wrote (commit
		// refuses one named as a file of its run).
		if e.IsDir() {
			continue
		}
		switch name := e.Name(); {
		case tempName.MatchString(name):
			last.temps = append(last.temps, name)
		case !outputName.MatchString(name):
		case last.listed[name]:
			last.files = append(last.files, name)
		default:
			unlisted = append(unlisted, name)
		}
	}
	if len(unlisted) > 0 {
		return lastRun{}, &ConflictError{Dir: dir, Files: unlisted, NoManifest: noManifest}
	}
	return last, nil
}
