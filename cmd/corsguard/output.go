package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// reportFile is --output's destination, opened before the run touches AWS: a path that cannot
// be written fails then, and not after the repairs whose only record it was to hold.
//
// A regular file (or a new one) is written to a temporary file in the same directory and
// renamed over the path once complete, so a reader never sees half a report and an old report
// stays until the new one is whole. Anything else (a symbolic link, a device, a FIFO) is
// opened for writing at once and written in place.
type reportFile struct {
	path string
	tmp  *os.File // the temporary file to rename over path, or nil
	file *os.File // the path itself, opened for writing, or nil
}

// openReport checks that path can take the report and reserves it.
func openReport(path string) (*reportFile, error) {
	info, err := os.Lstat(path)
	switch {
	case err == nil && info.IsDir():
		return nil, fmt.Errorf("--output %s: is a directory", path)
	case err == nil && !info.Mode().IsRegular():
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return nil, fmt.Errorf("--output: cannot write the report: %w", err)
		}
		if err := probeWriter(f); err != nil {
			_ = f.Close()
			return nil, fmt.Errorf("--output %s: cannot write the report: %w", path, err)
		}
		return &reportFile{path: path, file: f}, nil
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("--output: cannot write the report: %w", err)
	}
	mode := fs.FileMode(0o644)
	if err == nil {
		// An existing file keeps its mode, and one its owner made read-only is not replaced.
		mode = info.Mode().Perm()
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return nil, fmt.Errorf("--output: cannot write the report: %w", err)
		}
		_ = f.Close()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("--output %s: cannot write the report there: %w", path, err)
	}
	if err := tmp.Chmod(mode); err != nil {
		_ = tmp.Close()
		_ = os.Remove(tmp.Name())
		return nil, fmt.Errorf("--output %s: %w", path, err)
	}
	return &reportFile{path: path, tmp: tmp}, nil
}

// commit writes the report through write and puts it at the path.
func (r *reportFile) commit(write func(io.Writer) error) error {
	f := r.file
	if r.tmp != nil {
		f = r.tmp
	}
	err := write(f)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("write report: %w", cerr)
	}
	r.file = nil
	if r.tmp != nil {
		if err == nil {
			if rerr := os.Rename(r.tmp.Name(), r.path); rerr != nil {
				err = fmt.Errorf("write report: %w", rerr)
			}
		}
		if err != nil {
			_ = os.Remove(r.tmp.Name())
		}
		r.tmp = nil
	}
	return err
}

// discard gives the path up when no report will be written; after commit it does nothing.
func (r *reportFile) discard() {
	if r == nil {
		return
	}
	if r.file != nil {
		_ = r.file.Close()
		r.file = nil
	}
	if r.tmp != nil {
		_ = r.tmp.Close()
		_ = os.Remove(r.tmp.Name())
		r.tmp = nil
	}
}

// probeWriter makes an empty write to w when w is a file. A destination that opens but cannot
// take a byte fails then, before the run, and not after the repairs whose only record the
// report is: /dev/full answers every write, an empty one too, with ENOSPC, and a closed
// descriptor with EBADF. An empty write sends nothing: a terminal, a pipe or a file is left as
// it was.
func probeWriter(w io.Writer) error {
	f, ok := w.(*os.File)
	if !ok {
		return nil
	}
	_, err := f.Write(nil)
	return err
}
