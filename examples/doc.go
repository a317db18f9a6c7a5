// Package examples embeds the reference suites so that `probe demo` runs on a
// binary alone. The suites themselves are the YAML files beside this one.
package examples

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

//go:embed shop
var files embed.FS

// Shop returns the reference suite for the demo shop, rooted at its folder.
func Shop() fs.FS {
	sub, err := fs.Sub(files, "shop")
	if err != nil {
		panic(err) // the folder is embedded above
	}
	return sub
}

// WriteShop writes the reference suite into dir, replacing what was there.
func WriteShop(dir string) error {
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("write example suite: %w", err)
	}
	if err := os.CopyFS(dir, Shop()); err != nil {
		return fmt.Errorf("write example suite to %s: %w", filepath.Clean(dir), err)
	}
	return nil
}
