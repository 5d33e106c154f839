package apply

import (
	"fmt"
	"io/fs"
	"os"
)

// readRegularFile reads the file at path, refusing anything that is not a
// regular file once links are followed: a FIFO put where a list, approval
// or journal belongs would block the run for ever, and a device such as
// /dev/zero would fill its memory.
func readRegularFile(path string) ([]byte, error) {
	if err := checkRegular(path, os.Stat); err != nil {
		return nil, err
	}
	return os.ReadFile(path)
}

// checkRegular returns an error when the file at path, examined by stat,
// exists and is not a regular file. A missing file passes: its callers
// report that themselves.
func checkRegular(path string, stat func(string) (fs.FileInfo, error)) error {
	fi, err := stat(path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		return err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return &fs.PathError{Op: "open", Path: path, Err: fmt.Errorf("it is a symbolic link, which this file may not be: remove it")}
	}
	if !fi.Mode().IsRegular() {
		return &fs.PathError{Op: "open", Path: path, Err: fmt.Errorf("it is not a regular file (%s)", fi.Mode().Type())}
	}
	return nil
}

// openPrivate opens (creating) a file that apply or audit writes beside a
// list or in an output folder: a lock or a journal. It is never opened
// through a symbolic link, which anyone who can write in a shared folder
// could point at another file to have it truncated or written, and never
// when it is not a regular file.
func openPrivate(path string) (*os.File, error) {
	return openPrivateFlags(path, 0)
}

// openPrivateFlags is openPrivate with more open flags (os.O_APPEND).
func openPrivateFlags(path string, flags int) (*os.File, error) {
	if err := checkRegular(path, os.Lstat); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|noFollow|flags, 0o644)
	if err != nil {
		return nil, err
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, &fs.PathError{Op: "open", Path: path, Err: fmt.Errorf("it is not a regular file")}
	}
	return f, nil
}
