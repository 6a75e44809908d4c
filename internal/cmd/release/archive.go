package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"time"
)

// File is one file of an archive.
type File struct {
	Name string // path inside the archive's top directory
	Mode fs.FileMode
	Data []byte
}

// zipEpoch is the earliest time a zip entry can carry (MS-DOS dates start in 1980).
var zipEpoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// WriteArchive packs files under the directory top/ as a .tar.gz or, when zipped, a .zip.
// The bytes depend only on the arguments: entries sorted by name, every time set to mtime
// (the sources' time), owner root, no gzip name or time, so the same release builds the same
// archive anywhere.
func WriteArchive(w io.Writer, zipped bool, top string, files []File, mtime time.Time) error {
	files = slices.Clone(files)
	slices.SortFunc(files, func(a, b File) int { return strings.Compare(a.Name, b.Name) })
	for i := 1; i < len(files); i++ {
		if files[i].Name == files[i-1].Name {
			return fmt.Errorf("archive: %s twice", files[i].Name)
		}
	}
	mtime = mtime.UTC().Truncate(time.Second)
	if zipped {
		return writeZip(w, top, files, mtime)
	}
	return writeTarGz(w, top, files, mtime)
}

func writeTarGz(w io.Writer, top string, files []File, mtime time.Time) error {
	gz, err := gzip.NewWriterLevel(w, gzip.DefaultCompression)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(gz)
	hdr := func(name string, mode fs.FileMode, size int64, typ byte) *tar.Header {
		return &tar.Header{Typeflag: typ, Name: name, Mode: int64(mode.Perm()), Size: size, ModTime: mtime,
			Uname: "root", Gname: "root", Format: tar.FormatUSTAR}
	}
	if err := tw.WriteHeader(hdr(top+"/", 0o755, 0, tar.TypeDir)); err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	for _, f := range files {
		if err := tw.WriteHeader(hdr(top+"/"+f.Name, f.Mode, int64(len(f.Data)), tar.TypeReg)); err != nil {
			return fmt.Errorf("archive %s: %w", f.Name, err)
		}
		if _, err := tw.Write(f.Data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

func writeZip(w io.Writer, top string, files []File, mtime time.Time) error {
	if mtime.Before(zipEpoch) {
		mtime = zipEpoch
	}
	zw := zip.NewWriter(w)
	dir := &zip.FileHeader{Name: top + "/", Method: zip.Store, Modified: mtime}
	dir.SetMode(fs.ModeDir | 0o755)
	if _, err := zw.CreateHeader(dir); err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	for _, f := range files {
		h := &zip.FileHeader{Name: top + "/" + f.Name, Method: zip.Deflate, Modified: mtime}
		h.SetMode(f.Mode.Perm())
		fw, err := zw.CreateHeader(h)
		if err != nil {
			return fmt.Errorf("archive %s: %w", f.Name, err)
		}
		if _, err := fw.Write(f.Data); err != nil {
			return err
		}
	}
	return zw.Close()
}

// Sum is an artifact's name and SHA-256.
type Sum struct {
	Name   string
	SHA256 [sha256.Size]byte
}

// SumOf hashes data.
func SumOf(name string, data []byte) Sum { return Sum{Name: name, SHA256: sha256.Sum256(data)} }

// ChecksumFile is SHA256SUMS as sha256sum writes it and `sha256sum -c` reads it: one line per
// artifact, "<hex>  <name>", sorted by name.
func ChecksumFile(sums []Sum) []byte {
	sums = slices.Clone(sums)
	slices.SortFunc(sums, func(a, b Sum) int { return strings.Compare(a.Name, b.Name) })
	var b bytes.Buffer
	for _, s := range sums {
		fmt.Fprintf(&b, "%s  %s\n", hex.EncodeToString(s.SHA256[:]), s.Name)
	}
	return b.Bytes()
}
