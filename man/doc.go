// Package man holds gorunit's manual pages (man(7) macros): one page in
// section 8 per command and chpst personality, and gorunit(7), the
// overview. `make install` installs them gzipped; man_test.go lints them.
package man
