package main

// Row 8: VM boot, from qemu-test/ (a Debian kernel booting gorunit or
// runit as /sbin/init under qemu). Only measured when qemu-test provides
// a boot helper; otherwise the row says why it is missing.

import "errors"

var errSkip = errors.New("skipped")
var skipReason = "n/a (qemu-test not available)"

func benchVM(im impl) (result, error) {
	return nil, errSkip
}
