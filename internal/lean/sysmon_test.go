package lean

import (
	"math"
	"runtime/debug"
	"testing"
)

// TestQuietSysmon: with the collector off, the runtime's forced-collection
// period (which bounds sysmon's idle sleep to half of it, 60 s) is
// lengthened in `make build`'s binary (tag gorunit_linkname); without the
// tag it is left alone.
func TestQuietSysmon(t *testing.T) {
	before := sysmonPeriod()
	defer func() {
		setSysmonPeriod(before)
		debug.SetGCPercent(100)
		debug.SetMemoryLimit(math.MaxInt64)
	}()
	quietGC()
	if !sysmonSleeps {
		if got := sysmonPeriod(); got != 0 {
			t.Fatalf("untagged build: sysmonPeriod = %d, want 0", got)
		}
		t.Skip("built without the tag gorunit_linkname (make build uses it): sysmon keeps its 60 s wake-up")
	}
	if before != 2*60*1e9 {
		t.Errorf("the runtime's forcegcperiod was %d before quietGC, want 2 minutes (has the runtime changed?)", before)
	}
	if got := sysmonPeriod(); got != quietPeriod {
		t.Fatalf("forcegcperiod after quietGC = %d, want %d", got, quietPeriod)
	}
}
