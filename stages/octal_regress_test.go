package stages

import "testing"

// TestUnescapeOctalRange: escapes above \377 are not bytes and stay as
// they are; before, `\440` became a blank (found by FuzzParseMountinfo,
// input "0 0 0 0 \440 0 0").
func TestUnescapeOctalRange(t *testing.T) {
	for in, want := range map[string]string{`\440`: `\440`, `\777`: `\777`, `\377`: "\xff", `a\400b\040`: `a\400b `} {
		if got := unescapeOctal(in); got != want {
			t.Errorf("unescapeOctal(%q) = %q, want %q", in, got, want)
		}
	}
	for _, m := range parseMountinfo("0 0 0 0 \\440 0 0") {
		if m.point != `\440` {
			t.Errorf("mount point %q", m.point)
		}
	}
}
